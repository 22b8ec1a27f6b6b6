"""Issue 4 in a real browser: a member on a phone opens the QR sign-in link and is marked present; the
secretary's live panel shows the quorum reached."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.accounts.models import OrgRole
from dangjian.meetings import services
from dangjian.meetings.models import Attendance

from ..factories import UserFactory, grant, make_member
from .conftest import DESKTOP, PHONE, log_in

pytestmark = pytest.mark.e2e


def test_member_signs_in_by_qr_link_and_secretary_sees_quorum(e2e_cast, new_page, tmp_path):
    secretary = UserFactory(username="secretary_a", name="甲书记")
    grant(secretary, e2e_cast.branch_a, OrgRole.Role.SECRETARY)
    second = make_member(e2e_cast.branch_a, name="王五")  # two voting members: one present is not a quorum, two are
    meeting = services.meeting_plan(
        org=e2e_cast.branch_a,
        acting_user=secretary,
        type="general",
        topic="支部党员大会",
        starts_at=timezone.now() - dt.timedelta(minutes=5),
    )
    services.attendance_mark(meeting=meeting, member_ids=[second.pk], status="present", acting_user=secretary)

    phone = new_page(PHONE)
    log_in(phone, "member_a", e2e_cast.password)
    phone.goto(f"/meetings/{meeting.pk}/sign-in/?t={services.sign_in_token(meeting)}")  # what the QR code opens
    phone.click('[data-testid="sign-in"]')
    phone.wait_for_url(f"**/meetings/{meeting.pk}/")
    phone.screenshot(path=str(tmp_path / "phone-signed-in.png"))
    assert Attendance.objects.get(meeting=meeting, member=e2e_cast.member_a).status == "present"
    assert phone.locator('[data-testid="my-attendance"]').is_visible()

    desk = new_page(DESKTOP)
    log_in(desk, "secretary_a", e2e_cast.password)
    desk.goto(f"/meetings/{meeting.pk}/")
    quorum = desk.locator('[data-testid="quorum"]')
    quorum.wait_for()
    assert "2/2" in quorum.inner_text()
    assert desk.locator('[data-testid="present-count"]').inner_text().strip() == "2"
    assert desk.locator('[data-testid="quorum"] .tag-green').is_visible()
    desk.screenshot(path=str(tmp_path / "desktop-quorum.png"), full_page=True)
