"""Member development: every hard rule at its boundary, the soft ones as warnings, status moves and dates."""

import datetime as dt

import pytest

from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent, Setting
from dangjian.orgs import development
from dangjian.orgs.models import Member, MemberStatus, StatusChange
from dangjian.orgs.models_development import DevelopmentCase, DevelopmentContact
from dangjian.orgs.timing import add_months, add_years

from ...factories import make_member
from .conftest import TODAY, applicant


def _field(exc):
    return [e["field"] for e in exc.value.errors]


# --- Age ≥ 18 at application ----------------------------------------------------------------------


def test_a_17_year_old_cannot_apply_and_an_18_year_old_can(cast):
    person = applicant(cast.branch_a, birth=dt.date(2005, 3, 10))
    with pytest.raises(DomainError) as exc:
        development.development_start(member=person, application_date=dt.date(2023, 3, 9), acting_user=cast.secretary_a)
    assert _field(exc) == ["application_date"] and "18" in exc.value.message
    assert not DevelopmentCase.objects.exists()
    case = development.development_start(
        member=person, application_date=dt.date(2023, 3, 10), acting_user=cast.secretary_a
    )
    assert case.current_step == 1
    assert Member.objects.get(pk=person.pk).application_date == dt.date(2023, 3, 10)


def test_a_29_february_birthday_turns_18_on_1_march(cast):
    person = applicant(cast.branch_a, birth=dt.date(2004, 2, 29))
    with pytest.raises(DomainError):
        development.development_start(
            member=person, application_date=dt.date(2022, 2, 28), acting_user=cast.secretary_a
        )
    development.development_start(member=person, application_date=dt.date(2022, 3, 1), acting_user=cast.secretary_a)


def test_only_an_applicant_starts_a_case_and_only_once(cast):
    with pytest.raises(DomainError) as exc:
        development.development_start(
            member=cast.member_a, application_date=dt.date(2024, 1, 1), acting_user=cast.secretary_a
        )
    assert _field(exc) == ["member"]
    person = applicant(cast.branch_a)
    development.development_start(member=person, application_date=dt.date(2024, 1, 1), acting_user=cast.secretary_a)
    with pytest.raises(DomainError):
        development.development_start(member=person, application_date=dt.date(2024, 1, 1), acting_user=cast.secretary_a)


# --- Order, dates, status moves -------------------------------------------------------------------


def test_steps_go_in_order_and_never_into_the_future(cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2024, 1, 10))
    with pytest.raises(DomainError) as exc:
        walker.step(case, 3)
    assert _field(exc) == ["number"] and "2" in exc.value.message
    with pytest.raises(DomainError) as exc:
        walker.step(case, 2, on=TODAY() + dt.timedelta(days=1))
    assert _field(exc) == ["done_on"]
    with pytest.raises(DomainError) as exc:
        walker.step(case, 2, on=dt.date(2024, 1, 9))
    assert _field(exc) == ["done_on"]


def test_steps_3_7_17_24_move_the_status_with_their_dates(cast, walker):
    start = add_months(TODAY(), -36)
    person = applicant(cast.branch_a)
    case = walker.start(person, start)
    d = walker.dates
    walker.to(case, 3)
    assert Member.objects.get(pk=person.pk).status == MemberStatus.ACTIVIST
    walker.to(case, 7)
    person.refresh_from_db()
    assert (person.status, person.activist_date, person.candidate_date) == (MemberStatus.CANDIDATE, d[3], d[7])
    walker.to(case, 17)
    person.refresh_from_db()
    # Party standing starts on the general meeting's date (step 15), not on the approval's.
    assert (person.status, person.probationary_date) == (MemberStatus.PROBATIONARY, d[15])
    walker.to(case, 25)
    person.refresh_from_db()
    assert (person.status, person.full_date) == (MemberStatus.FULL, add_years(d[15], 1))
    case.refresh_from_db()
    assert case.status == DevelopmentCase.Status.COMPLETED and case.next_step is None
    assert list(StatusChange.objects.filter(member=person).values_list("to_status", flat=True)) == [
        "activist",
        "candidate",
        "probationary",
        "full",
    ]
    assert AuditEvent.objects.filter(action="development.step").count() == 24


# --- Candidate after ≥ 1 year as activist -----------------------------------------------------------


@pytest.mark.parametrize(
    ("activist", "days", "ok"),
    [
        (dt.date(2023, 1, 10), 364, False),
        (dt.date(2023, 1, 10), 365, True),
        # Across 29 February 2024: 365 days is not yet a calendar year, 366 is.
        (dt.date(2023, 3, 1), 365, False),
        (dt.date(2023, 3, 1), 366, True),
        # Activist on 29 February: the year is complete on 28 February of the next year.
        (dt.date(2024, 2, 29), 364, False),
        (dt.date(2024, 2, 29), 365, True),
    ],
)
def test_candidate_only_after_a_full_calendar_year_as_activist(cast, walker, activist, days, ok):
    case = walker.start(applicant(cast.branch_a), activist - dt.timedelta(days=30))
    walker.to(case, 2)
    walker.step(case, 3, on=activist)
    for n in (4, 5, 6):
        walker.step(case, n, on=activist + dt.timedelta(days=10 * n))
    when = activist + dt.timedelta(days=days)
    if ok:
        walker.step(case, 7, on=when)
        assert Member.objects.get(pk=case.member_id).status == MemberStatus.CANDIDATE
    else:
        with pytest.raises(DomainError) as exc:
            walker.step(case, 7, on=when)
        assert _field(exc) == ["done_on"]
        assert Member.objects.get(pk=case.member_id).status == MemberStatus.ACTIVIST


# --- Training ≥ 24 class hours or ≥ 3 days --------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "days", "ok"),
    [(23, None, False), (24, None, True), (None, 2, False), (None, 3, True), (23, 2, False), (0, 3, True)],
)
def test_training_needs_24_class_hours_or_3_days(cast, walker, hours, days, ok):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 10)
    if ok:
        step = walker.step(case, 11, class_hours=hours, training_days=days)
        assert (step.class_hours, step.training_days) == (hours, days)
    else:
        with pytest.raises(DomainError) as exc:
            walker.step(case, 11, class_hours=hours, training_days=days)
        assert _field(exc) == ["class_hours"]


# --- Two full members as mentors and sponsors -------------------------------------------------------


def test_mentors_and_sponsors_are_two_different_full_members(cast, walker, voters):
    person = applicant(cast.branch_a)
    case = walker.start(person, dt.date(2023, 1, 10))
    walker.to(case, 4)
    probationary = make_member(cast.branch_a, name="预备甲", status=MemberStatus.PROBATIONARY)
    for ids in (
        [voters[1].pk],
        [voters[1].pk, voters[1].pk],
        [voters[1].pk, probationary.pk],
        [voters[1].pk, person.pk],
        [voters[1].pk, cast.member_b.pk],
        [voters[1].pk, voters[2].pk, voters[3].pk],
    ):
        with pytest.raises(DomainError) as exc:
            walker.step(case, 5, mentor_ids=ids)
        assert _field(exc) == ["mentor_ids"], ids
    walker.step(case, 5)
    assert DevelopmentContact.objects.filter(case=case, role="mentor").count() == 2
    walker.to(case, 8)
    with pytest.raises(DomainError) as exc:
        walker.step(case, 9, sponsor_ids=[voters[1].pk, probationary.pk])
    assert _field(exc) == ["sponsor_ids"] and "预备甲" in exc.value.message
    walker.step(case, 9)
    assert DevelopmentContact.objects.filter(case=case, role="sponsor").count() == 2


# --- The general meeting vote ---------------------------------------------------------------------


@pytest.fixture
def ten_voters(cast, voters):
    """Branch A with 10 full members: passing needs 6 yes votes."""
    return [*voters, *[make_member(cast.branch_a, name=f"表决{i}") for i in range(6)]]


@pytest.mark.parametrize(("yes", "ok"), [(5, False), (6, True)])
def test_the_vote_counts_against_those_who_should_attend(cast, walker, ten_voters, yes, ok):
    """GIVEN 10 voting members who should attend and 7 present THEN 5 yes (exactly half) fails and 6 passes —
    counted against the 10 who should attend, not the 7 present (5 of 7 would be a majority of those present)."""
    walker.voters = ten_voters
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 14)
    if ok:
        step = walker.step(case, 15, present=7, yes=yes, no=1, abstain=0)
        assert (step.should_attend, step.present, step.yes) == (10, 7, 6)
    else:
        with pytest.raises(DomainError) as exc:
            walker.step(case, 15, present=7, yes=yes, no=2, abstain=0)
        assert _field(exc) == ["yes"] and "10" in exc.value.message
        assert Member.objects.get(pk=case.member_id).status == MemberStatus.CANDIDATE


def test_the_vote_needs_a_quorum_and_no_more_votes_than_voters(cast, walker, ten_voters):
    walker.voters = ten_voters
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 14)
    with pytest.raises(DomainError) as exc:
        walker.step(case, 15, present=5, yes=6, no=0, abstain=0)
    assert _field(exc) == ["present"]
    with pytest.raises(DomainError) as exc:
        walker.step(case, 15, present=8, yes=8, no=2, abstain=1)
    assert _field(exc) == ["yes"]
    with pytest.raises(DomainError) as exc:
        walker.step(case, 15, present=None, yes=8, no=0, abstain=0)
    assert _field(exc) == ["present"]


def test_a_vote_at_a_held_general_meeting_takes_its_numbers(cast, walker, ten_voters):
    from django.utils import timezone

    from dangjian.meetings import services as meetings
    from dangjian.meetings.models import Attendance

    walker.voters = ten_voters
    case = walker.start(applicant(cast.branch_a), add_months(TODAY(), -20))
    walker.to(case, 14)
    meeting = meetings.meeting_plan(
        org=cast.branch_a,
        acting_user=cast.secretary_a,
        type="general",
        topic="讨论接收预备党员",
        starts_at=timezone.now() - dt.timedelta(hours=2),
    )
    present = [m.pk for m in ten_voters[:6]]
    meetings.attendance_mark(
        meeting=meeting, member_ids=present, status=Attendance.Status.PRESENT, acting_user=cast.secretary_a
    )
    with pytest.raises(DomainError) as exc:  # not yet held
        walker.step(case, 15, meeting=meeting, present=None, yes=6, no=0, abstain=0)
    assert _field(exc) == ["meeting"]
    meetings.meeting_record_minutes(meeting=meeting, minutes="表决", decisions="", acting_user=cast.secretary_a)
    step = walker.step(case, 15, meeting=meeting, present=None, yes=6, no=0, abstain=0, on=None)
    assert (step.should_attend, step.present, step.done_on, step.meeting_id) == (10, 6, TODAY(), meeting.pk)


# --- Approval by a committee with that authority, within 3 (max 6) months ------------------------


def test_approval_by_a_general_branch_is_refused(cast, walker, general_branch):
    person = applicant(general_branch.get_children().get(), name="总支申请人")
    voters = [make_member(person.org, name=f"总支党员{i}") for i in range(4)]
    walker.voters, walker.user = voters, walker.approver
    case = walker.start(person, dt.date(2023, 1, 10))
    walker.to(case, 16)
    with pytest.raises(DomainError) as exc:
        walker.step(case, 17, approver_org=general_branch)
    assert _field(exc) == ["approver_org"]
    with pytest.raises(DomainError) as exc:
        walker.step(case, 17, approver_org=cast.company_b)  # a committee, but not above the branch
    assert _field(exc) == ["approver_org"]
    walker.step(case, 17, approver_org=cast.company_a)
    assert Member.objects.get(pk=person.pk).status == MemberStatus.PROBATIONARY


def test_the_branch_secretary_cannot_record_the_committees_approval(cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 16)
    with pytest.raises(DomainError) as exc:
        development.development_record_step(
            case=case, number=17, done_on=walker.dates[17], approver_org=cast.company_a, acting_user=cast.secretary_a
        )
    assert _field(exc) == ["approver_org"]


@pytest.mark.parametrize(
    ("months", "days", "outcome"), [(3, 0, "ok"), (3, 1, "warn"), (6, 0, "warn"), (6, 1, "refused")]
)
def test_approval_within_3_months_warns_after_and_refuses_after_6(cast, walker, months, days, outcome):
    case = walker.start(applicant(cast.branch_a), dt.date(2022, 1, 10))
    walker.to(case, 16)
    meeting = walker.dates[15]
    on = add_months(meeting, months) + dt.timedelta(days=days)
    if outcome == "refused":
        with pytest.raises(DomainError) as exc:
            walker.step(case, 17, on=on)
        assert _field(exc) == ["done_on"]
        return
    step = walker.step(case, 17, on=on)
    assert bool(step.warnings) == (outcome == "warn")


# --- Probation: 1 year from the meeting, extension 6–12 months ----------------------------------------


def _probationary(cast, walker, start):
    case = walker.start(applicant(cast.branch_a), start)
    return walker.to(case, 21)


def test_full_membership_application_not_before_a_year_from_the_meeting(cast, walker):
    case = _probationary(cast, walker, dt.date(2022, 1, 10))
    end = add_years(walker.dates[15], 1)
    with pytest.raises(DomainError) as exc:
        walker.step(case, 22, on=end - dt.timedelta(days=1))
    assert _field(exc) == ["done_on"] and f"{end:%Y-%m-%d}" in exc.value.message
    walker.step(case, 22, on=end)


@pytest.mark.parametrize(("months", "ok"), [(5, False), (6, True), (12, True), (13, False)])
def test_extension_is_6_to_12_months(cast, walker, months, ok):
    case = _probationary(cast, walker, dt.date(2021, 1, 10))
    decided = walker.dates[21]
    if not ok:
        with pytest.raises(DomainError) as exc:
            development.development_extend_probation(
                case=case, months=months, decided_on=decided, reason="考察", acting_user=cast.secretary_a
            )
        assert _field(exc) == ["months"]
        return
    development.development_extend_probation(
        case=case, months=months, decided_on=decided, reason="需继续考察", acting_user=cast.secretary_a
    )
    case.refresh_from_db()
    end = add_months(add_years(walker.dates[15], 1), months)
    assert case.due_step == 22 and case.due_on == end
    with pytest.raises(DomainError):
        walker.step(case, 22, on=end - dt.timedelta(days=1))
    walker.step(case, 22, on=end)
    with pytest.raises(DomainError):  # once only, and not after the application
        development.development_extend_probation(
            case=case, months=6, decided_on=end, reason="再延", acting_user=cast.secretary_a
        )
    walker.step(case, 23, on=end + dt.timedelta(days=5))
    walker.step(case, 24, on=end + dt.timedelta(days=20))
    assert Member.objects.get(pk=case.member_id).full_date == end


# --- Soft rules: warnings, not refusals ----------------------------------------------------------------


def test_a_late_talk_and_a_late_assessment_are_warnings(cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    step = walker.step(case, 2, on=dt.date(2023, 2, 10))
    assert step.warnings == []
    case2 = walker.start(applicant(cast.branch_a, name="迟谈话"), dt.date(2023, 1, 10))
    step = walker.step(case2, 2, on=dt.date(2023, 2, 11))
    assert len(step.warnings) == 1 and "2023-02-10" in step.warnings[0]
    activist = dt.date(2023, 3, 1)
    walker.step(case2, 3, on=activist)
    walker.step(case2, 4, on=activist)
    walker.step(case2, 5, on=activist)
    late = walker.step(case2, 6, on=add_months(activist, 6) + dt.timedelta(days=1))
    assert late.warnings
    again = walker.step(case2, 6, on=add_months(late.done_on, 6))  # step 6 repeats, each half year
    assert again.warnings == []
    case2.refresh_from_db()
    assert case2.current_step == 6 and case2.steps.filter(number=6).count() == 2


def test_public_notice_counts_working_days_and_is_configurable(cast, walker):
    # 2026-09-28 (Mon) … 10-08: the National Day holiday (1–7 October) leaves 4 working days: 9-28, 9-29, 9-30, 10-08.
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 11)
    step = walker.step(case, 12, notice_from=dt.date(2026, 9, 28), notice_to=dt.date(2026, 10, 8))
    assert step.warnings and "4" in step.warnings[0]
    Setting.objects.create(key="development.notice_working_days", value=3)
    case2 = walker.start(applicant(cast.branch_a, name="公示"), dt.date(2023, 1, 10))
    assert case2.notice_working_days == 3
    walker.to(case2, 11)
    assert walker.step(case2, 12, notice_from=dt.date(2026, 9, 28), notice_to=dt.date(2026, 10, 8)).warnings == []
    case3 = walker.start(applicant(cast.branch_a, name="倒公示"), dt.date(2023, 1, 10))
    walker.to(case3, 11)
    with pytest.raises(DomainError) as exc:
        walker.step(case3, 12, notice_from=dt.date(2026, 6, 5), notice_to=dt.date(2026, 6, 1))
    assert _field(exc) == ["notice_to"]


def test_a_notice_of_five_working_days_passes_and_four_warns(cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    walker.to(case, 11)
    assert walker.step(case, 12, notice_from=dt.date(2026, 6, 1), notice_to=dt.date(2026, 6, 5)).warnings == []
    case2 = walker.start(applicant(cast.branch_a, name="短公示"), dt.date(2023, 1, 10))
    walker.to(case2, 11)
    assert walker.step(case2, 12, notice_from=dt.date(2026, 6, 1), notice_to=dt.date(2026, 6, 4)).warnings


def test_a_stopped_case_takes_no_more_steps(cast, walker):
    case = walker.start(applicant(cast.branch_a), dt.date(2023, 1, 10))
    with pytest.raises(DomainError):
        development.development_stop(case=case, reason=" ", acting_user=cast.secretary_a)
    development.development_stop(case=case, reason="本人撤回申请", acting_user=cast.secretary_a)
    with pytest.raises(DomainError) as exc:
        walker.step(case, 2)
    assert _field(exc) == ["number"]
