"""The scheduled conversion never skips a fact committed late under a lower id (PostgreSQL)."""

from django.db import connection

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import fact_record
from dangjian.points.models import PointsCursor, PointsEntry, PointsRule
from dangjian.points.services import points_convert


def test_the_job_goes_only_as_far_as_the_previous_run_saw(cast):
    PointsRule.objects.update_or_create(
        kind=FactKind.LOGIN, defaults={"name": "登录", "points_per_unit": 1, "is_active": True}
    )
    fact_record(member=cast.member_a, kind=FactKind.LOGIN)
    first = points_convert(settled_only=True)
    if connection.vendor == "postgresql":
        # GIVEN a fact whose id could still have lower-id neighbours in flight WHEN the job first sees it
        # THEN it waits one run, and converts it on the next.
        assert first == 0 and not PointsEntry.objects.exists()
        assert points_convert(settled_only=True) == 1
    else:
        assert first == 1  # SQLite commits one writer at a time: nothing can be in flight
    cursor = PointsCursor.objects.get()
    assert cursor.last_fact_id == cursor.seen_high
    assert points_convert(settled_only=True) == 0
