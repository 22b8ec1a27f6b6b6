import datetime as dt

import pytest
from django.utils import timezone

from dangjian.meetings import services
from dangjian.orgs.models import MemberStatus

from ..factories import make_member


@pytest.fixture
def branch(cast):
    """Branch A with member_a plus 9 more full members and 2 probationary members (10 voting, 12 invited)."""
    extra = [make_member(cast.branch_a, name=f"党员{i}") for i in range(9)]
    prob = [make_member(cast.branch_a, name=f"预备{i}", status=MemberStatus.PROBATIONARY) for i in range(2)]
    cast.voting = [cast.member_a, *extra]
    cast.probationary = prob
    return cast


@pytest.fixture
def past_meeting(branch):
    return services.meeting_plan(
        org=branch.branch_a,
        acting_user=branch.secretary_a,
        type="general",
        topic="学习党章",
        starts_at=timezone.now() - dt.timedelta(hours=1),
    )
