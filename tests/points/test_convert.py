"""Converting facts into points: rules, units, the daily cap per member, kind and local day, idempotence."""

import datetime as dt
from decimal import Decimal

from dangjian.analytics.models import FactKind
from dangjian.points import services
from dangjian.points.models import PointsEntry, PointsRule

from .conftest import local


def points_by_day(member):
    out = {}
    for e in PointsEntry.objects.filter(member=member):
        out[(e.kind, e.day)] = out.get((e.kind, e.day), Decimal(0)) + e.points
    return out


def test_cap_applies_per_local_day_across_midnight(cast, fact):
    """GIVEN meeting attendance worth 5 points, at most 10 a day, WHEN a member attends three times late on 1 May
    and once just after midnight (Asia/Shanghai), THEN 1 May is capped at 10 and 2 May earns its own 5 —
    although 23:50 on 1 May and 00:10 on 2 May are the same UTC day (15:50 and 16:10 UTC)."""
    for hh, mm in ((23, 0), (23, 30), (23, 50)):
        fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, hh, mm))
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 2, 0, 10))
    services.points_convert()
    assert points_by_day(cast.member_a) == {
        ("meeting.attended", dt.date(2026, 5, 1)): Decimal("10.00"),  # 3 × 5 = 15, capped at 10
        ("meeting.attended", dt.date(2026, 5, 2)): Decimal("5.00"),
    }


def test_conversion_is_idempotent_and_incremental(cast, fact):
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 9))
    assert services.points_convert() == 1
    assert services.points_convert() == 0  # nothing new: the high-water mark moved
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 10))
    fact(FactKind.MEETING_ATTENDED, local(2026, 5, 1, 11))  # 5 + 5 + 5 = 15 on the day, cap 10 across runs
    services.points_convert()
    assert points_by_day(cast.member_a) == {("meeting.attended", dt.date(2026, 5, 1)): Decimal("10.00")}
    assert PointsEntry.objects.count() == 2


def test_units_caps_and_inactive_rules(cast, fact):
    fact(FactKind.STUDY_SECONDS, local(2026, 5, 1, 9), quantity=1800)  # 600 s a unit: 3 points
    fact(FactKind.STUDY_SECONDS, local(2026, 5, 2, 9), quantity=4000)  # 6.67 → cap 6
    PointsRule.objects.filter(kind=FactKind.DUES_PAID_ON_TIME).update(is_active=False)
    fact(FactKind.DUES_PAID_ON_TIME, local(2026, 5, 1, 9))
    fact(FactKind.LOGIN, local(2026, 5, 1, 9))  # no rule
    fact(FactKind.VOLUNTEER_HOURS, local(2026, 5, 1, 9), quantity=Decimal("2.5"), member=cast.member_b)  # 2 a hour: 5
    services.points_convert()
    assert points_by_day(cast.member_a) == {
        ("learning.study_seconds", dt.date(2026, 5, 1)): Decimal("3.00"),
        ("learning.study_seconds", dt.date(2026, 5, 2)): Decimal("6.00"),
    }
    assert points_by_day(cast.member_b) == {("activities.volunteer_hours", dt.date(2026, 5, 1)): Decimal("5.00")}
    entry = PointsEntry.objects.get(member=cast.member_b)
    assert (entry.org_id, entry.org_path) == (cast.branch_b.pk, cast.branch_b.path)
