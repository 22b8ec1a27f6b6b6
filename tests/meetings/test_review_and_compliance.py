"""Democratic review (1/3 cap, probationary members, anonymity) and the compliance calendar."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from dangjian.analytics.models import Fact, FactKind
from dangjian.core.errors import DomainError
from dangjian.core.ledger import ledger_verify
from dangjian.core.models import LedgerEntry
from dangjian.meetings import compliance, review, services
from dangjian.meetings.models import Meeting, RatingTally, ReviewParticipant, ReviewResult

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rnd(branch):
    return review.review_open(org=branch.branch_a, year=2026, acting_user=branch.secretary_a)


@pytest.mark.parametrize("graded,cap", [(2, 0), (3, 1), (5, 1), (6, 2), (10, 3), (12, 4)])
def test_excellent_cap_is_one_third(graded, cap):
    assert review.excellent_cap(graded) == cap


def test_probationary_members_take_part_but_are_not_graded(rnd, branch):
    assert ReviewParticipant.objects.filter(round=rnd).count() == 12
    assert set(ReviewParticipant.objects.filter(round=rnd, graded=False).values_list("member_id", flat=True)) == {
        m.pk for m in branch.probationary
    }
    grades = {m.pk: "qualified" for m in branch.voting} | {branch.probationary[0].pk: "qualified"}
    with pytest.raises(DomainError):
        review.review_propose(rnd=rnd, grades=grades, acting_user=branch.secretary_a)


def test_proposal_enforces_the_one_third_cap(rnd, branch):
    grades = {m.pk: "qualified" for m in branch.voting}
    for m in branch.voting[:4]:
        grades[m.pk] = "excellent"
    with pytest.raises(DomainError) as exc:
        review.review_propose(rnd=rnd, grades=grades, acting_user=branch.secretary_a)
    assert "3" in exc.value.message
    grades[branch.voting[3].pk] = "qualified"
    assert len(review.review_propose(rnd=rnd, grades=grades, acting_user=branch.secretary_a)) == 10


def test_ratings_are_anonymous_tallies(rnd, branch):
    review.review_rate(
        rnd=rnd, rater=branch.probationary[0], grades={branch.member_a.pk: "excellent", branch.voting[1].pk: "basic"}
    )
    review.review_rate(rnd=rnd, rater=branch.voting[2], grades={branch.member_a.pk: "excellent"})
    tallies = {(t.subject_id, t.grade): t.count for t in RatingTally.objects.filter(round=rnd)}
    assert tallies == {(branch.member_a.pk, "excellent"): 2, (branch.voting[1].pk, "basic"): 1}
    # No column of the tally table can point at a rater: only round, subject, grade and a count.
    columns = {
        c.name for c in connection.introspection.get_table_description(connection.cursor(), RatingTally._meta.db_table)
    }
    assert columns == {"id", "round_id", "subject_id", "grade", "count"}
    with pytest.raises(DomainError):
        review.review_rate(rnd=rnd, rater=branch.voting[2], grades={branch.member_a.pk: "qualified"})  # one ballot each
    assert RatingTally.objects.get(round=rnd, subject=branch.member_a, grade="excellent").count == 2


def test_confirmation_needs_a_held_general_meeting_and_publishes(rnd, branch, past_meeting):
    grades = {m.pk: "qualified" for m in branch.voting} | {branch.member_a.pk: "excellent"}
    review.review_propose(rnd=rnd, grades=grades, acting_user=branch.secretary_a)
    with pytest.raises(DomainError):
        review.review_confirm(rnd=rnd, meeting=past_meeting, acting_user=branch.secretary_a)  # not held yet
    services.meeting_record_minutes(
        meeting=past_meeting, minutes="民主评议", decisions="", acting_user=branch.secretary_a
    )
    review.review_confirm(rnd=rnd, meeting=past_meeting, acting_user=branch.secretary_a)
    assert ReviewResult.objects.filter(round=rnd, final=True).count() == 10
    assert LedgerEntry.objects.filter(kind="meetings.review_results").count() == 1
    assert ledger_verify()[1] is None
    assert Fact.objects.filter(kind=FactKind.REVIEW_RESULT, member_id=branch.member_a.pk).get().quantity == 4


# --- compliance ------------------------------------------------------------------------------


def _held(branch, type_, when, **kw):
    m = services.meeting_plan(
        org=branch.branch_a, acting_user=branch.secretary_a, type=type_, topic=type_, starts_at=when, **kw
    )
    Meeting.objects.filter(pk=m.pk).update(status=Meeting.Status.HELD)
    return m


def test_periods_cut_at_local_quarter_and_year_ends():
    assert compliance.period_of("quarter", dt.date(2026, 3, 31)).label == "2026Q1"
    assert compliance.period_of("quarter", dt.date(2026, 12, 31)).end == dt.date(2027, 1, 1)
    p = compliance.period_of("quarter", dt.date(2026, 3, 1))
    _start, end = p.bounds()
    assert end.astimezone(dt.UTC) == dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)  # midnight Beijing time


def test_meeting_late_on_31_march_beijing_time_counts_for_q1(branch):
    _held(branch, "general", dt.datetime(2026, 3, 31, 23, 30, tzinfo=SH))  # 15:30 UTC, and still Q1 in Beijing
    _held(branch, "general", dt.datetime(2026, 4, 1, 0, 10, tzinfo=SH))  # 31 March 16:10 UTC, but Q2 in Beijing
    q1 = compliance.compliance_grid(root=branch.company_a, period=compliance.period_of("quarter", dt.date(2026, 2, 1)))
    q2 = compliance.compliance_grid(root=branch.company_a, period=compliance.period_of("quarter", dt.date(2026, 5, 1)))
    cell = lambda grid: next(c for c in grid[0].cells if c.type == "general")  # noqa: E731
    assert (cell(q1).held, cell(q2).held) == (1, 1)


def test_grid_colours(branch):
    q = compliance.period_of("quarter", dt.date(2026, 2, 1))
    for month in (1, 2, 3):
        _held(branch, "theme_day", dt.datetime(2026, month, 10, 9, tzinfo=SH))
    _held(branch, "general", dt.datetime(2026, 1, 20, 9, tzinfo=SH))
    m = services.meeting_plan(
        org=branch.branch_a,
        acting_user=branch.secretary_a,
        type="lecture",
        topic="党课",
        starts_at=dt.datetime(2026, 3, 20, 9, tzinfo=SH),
    )
    grid = compliance.compliance_grid(root=branch.company_a, period=q, today=dt.date(2026, 3, 15))
    cells = {c.type: c for c in grid[0].cells}
    assert cells["theme_day"].colour == "green" and cells["theme_day"].required == 3
    assert cells["general"].colour == "green"
    assert cells["lecture"].colour == "yellow"  # planned, and the quarter is not over yet
    after = {
        c.type: c
        for c in compliance.compliance_grid(root=branch.company_a, period=q, today=dt.date(2026, 4, 1))[0].cells
    }
    assert after["lecture"].colour == "red"  # the quarter ended without it
    assert cells["committee"].required == 0  # branch without a committee
    assert cells["group"].required == 3 and cells["group"].colour == "red"  # one group, monthly
    assert cells["org_life"].required == 0  # yearly: not due within a quarter
    assert grid[0].colour == "red"
    Meeting.objects.filter(pk=m.pk).update(status=Meeting.Status.CANCELLED)
    cells = {
        c.type: c
        for c in compliance.compliance_grid(root=branch.company_a, period=q, today=dt.date(2026, 3, 15))[0].cells
    }
    assert cells["lecture"].colour == "yellow"  # cancelled, but there is still time
    assert cells["lecture"].planned == 0


def test_two_meetings_in_one_month_do_not_make_up_a_missing_month(branch):
    q = compliance.period_of("quarter", dt.date(2026, 2, 1))
    _held(branch, "theme_day", dt.datetime(2026, 1, 10, 9, tzinfo=SH))
    _held(branch, "theme_day", dt.datetime(2026, 1, 20, 9, tzinfo=SH))
    _held(branch, "theme_day", dt.datetime(2026, 3, 10, 9, tzinfo=SH))
    cells = {
        c.type: c
        for c in compliance.compliance_grid(root=branch.company_a, period=q, today=dt.date(2026, 5, 1))[0].cells
    }
    assert (cells["theme_day"].held, cells["theme_day"].required, cells["theme_day"].colour) == (2, 3, "red")


def test_a_year_in_progress_is_on_track_not_red(branch):
    year = compliance.period_of("year", dt.date(2026, 1, 1))
    for month in (1, 2):
        _held(branch, "theme_day", dt.datetime(2026, month, 10, 9, tzinfo=SH))
    cells = {
        c.type: c
        for c in compliance.compliance_grid(root=branch.company_a, period=year, today=dt.date(2026, 3, 5))[0].cells
    }
    assert (cells["theme_day"].held, cells["theme_day"].due, cells["theme_day"].colour) == (2, 2, "yellow")
    assert cells["org_life"].colour == "yellow"  # due by the end of the year


def test_frequencies_are_configurable(branch):
    from dangjian.core.models import Setting

    Setting.objects.create(key="meetings.frequencies", value={"lecture": "year", "group": "off"})
    q = compliance.period_of("quarter", dt.date(2026, 2, 1))
    cells = {c.type: c for c in compliance.compliance_grid(root=branch.company_a, period=q)[0].cells}
    assert cells["lecture"].required == 0 and cells["group"].required == 0
