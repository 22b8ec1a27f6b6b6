"""Quorum and pass rules at their boundaries, the rotating QR token, leave and minutes."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.core.errors import DomainError
from dangjian.meetings import services
from dangjian.meetings.models import Attendance, Meeting, Motion


def present(meeting, members):
    for m in members:
        services.attendance_sign_in(meeting=meeting, member=m, token=services.sign_in_token(meeting))


def test_invitation_covers_the_branch_and_probationary_members_do_not_vote(past_meeting, branch):
    rows = Attendance.objects.filter(meeting=past_meeting)
    assert rows.count() == 12
    assert rows.filter(can_vote=True).count() == 10
    assert not rows.filter(member=branch.member_b).exists()


def test_quorum_needs_more_than_half_of_voting_members(past_meeting, branch):
    present(past_meeting, branch.voting[:5] + branch.probationary)
    q = services.quorum(past_meeting)
    assert (q["should_attend"], q["present"], q["reached"]) == (10, 5, False)  # probationary members do not count
    present(past_meeting, branch.voting[5:6])
    assert services.quorum(past_meeting)["reached"] is True


def test_motion_passes_only_with_yes_over_half_of_those_who_should_attend(past_meeting, branch):
    present(past_meeting, branch.voting[:8])
    lost = services.motion_record(
        meeting=past_meeting, title="接收张三为预备党员", yes=5, no=3, abstain=0, acting_user=branch.secretary_a
    )
    assert lost.passed is False  # 5 of 8 present is a majority of those present, but not more than half of 10
    won = services.motion_record(
        meeting=past_meeting, title="接收李四为预备党员", yes=6, no=2, abstain=0, acting_user=branch.secretary_a
    )
    assert won.passed is True


def test_vote_refused_without_quorum_or_with_too_many_votes(past_meeting, branch):
    present(past_meeting, branch.voting[:5])
    with pytest.raises(DomainError):
        services.motion_record(meeting=past_meeting, title="x", yes=5, no=0, abstain=0, acting_user=branch.secretary_a)
    present(past_meeting, branch.voting[5:6])
    with pytest.raises(DomainError):
        services.motion_record(meeting=past_meeting, title="x", yes=6, no=1, abstain=0, acting_user=branch.secretary_a)
    assert not Motion.objects.exists()


def test_qr_token_expires_after_two_windows(past_meeting, branch):
    t0 = 1_800_000_000.0
    token = services.sign_in_token(past_meeting, now=t0)
    assert services.sign_in_token_valid(past_meeting, token, now=t0 + 29)
    assert not services.sign_in_token_valid(past_meeting, token, now=t0 + 61)  # a photo sent home is stale
    with pytest.raises(DomainError):
        services.attendance_sign_in(meeting=past_meeting, member=branch.member_a, token=token, now=t0 + 90)
    assert Attendance.objects.get(meeting=past_meeting, member=branch.member_a).status == "invited"


def test_qr_token_of_another_meeting_and_uninvited_member(past_meeting, branch):
    other = services.meeting_plan(
        org=branch.branch_a,
        acting_user=branch.secretary_a,
        type="theme_day",
        topic="主题党日",
        starts_at=timezone.now(),
    )
    with pytest.raises(DomainError):
        services.attendance_sign_in(meeting=past_meeting, member=branch.member_a, token=services.sign_in_token(other))
    with pytest.raises(DomainError):
        services.attendance_sign_in(
            meeting=past_meeting, member=branch.member_b, token=services.sign_in_token(past_meeting)
        )


def test_qr_token_cannot_sign_twice(past_meeting, branch):
    token = services.sign_in_token(past_meeting)
    services.attendance_sign_in(meeting=past_meeting, member=branch.member_a, token=token)
    with pytest.raises(DomainError):
        services.attendance_sign_in(meeting=past_meeting, member=branch.member_a, token=token)


def test_leave_only_before_start_and_with_reason(branch):
    future = services.meeting_plan(
        org=branch.branch_a,
        acting_user=branch.secretary_a,
        type="lecture",
        topic="党课",
        starts_at=timezone.now() + dt.timedelta(days=2),
    )
    with pytest.raises(DomainError):
        services.leave_request(meeting=future, member=branch.member_a, reason=" ")
    services.leave_request(meeting=future, member=branch.member_a, reason="出差")
    assert Attendance.objects.get(meeting=future, member=branch.member_a).status == "leave_requested"


def test_minutes_mark_absent_and_record_facts(past_meeting, branch):
    present(past_meeting, branch.voting[:6])
    services.meeting_record_minutes(
        meeting=past_meeting, minutes="会议学习了党章", decisions="", acting_user=branch.secretary_a
    )
    past_meeting.refresh_from_db()
    assert past_meeting.status == Meeting.Status.HELD
    assert Attendance.objects.filter(meeting=past_meeting, status="absent").count() == 6
    assert Fact.objects.filter(kind=FactKind.MEETING_ATTENDED, source_id=str(past_meeting.pk)).count() == 6
    # Saving the minutes again records nothing twice.
    services.meeting_record_minutes(meeting=past_meeting, minutes="修改", decisions="", acting_user=branch.secretary_a)
    assert Fact.objects.filter(kind=FactKind.MEETING_ATTENDED).count() == 6


def test_lecture_given_is_a_fact(branch):
    lecture = services.meeting_plan(
        org=branch.branch_a,
        acting_user=branch.secretary_a,
        type="lecture",
        topic="党课",
        starts_at=timezone.now() - dt.timedelta(hours=2),
        lecturer=branch.member_a,
    )
    services.meeting_record_minutes(meeting=lecture, minutes="", decisions="", acting_user=branch.secretary_a)
    assert Fact.objects.filter(kind=FactKind.LECTURE_GIVEN, member_id=branch.member_a.pk).count() == 1


def test_other_branch_secretary_cannot_plan_or_mark(past_meeting, branch):
    from django.http import Http404

    with pytest.raises(Http404):
        services.meeting_plan(
            org=branch.branch_a, acting_user=branch.secretary_b, type="general", topic="x", starts_at=timezone.now()
        )
    with pytest.raises(Http404):
        services.attendance_mark(
            meeting=past_meeting, member_ids=[branch.member_a.pk], status="present", acting_user=branch.secretary_b
        )
    assert Meeting.objects.count() == 1


def test_committee_meeting_quorum_counts_committee_members(branch):
    from dangjian.orgs.models import OrgPost

    for m, post in zip(branch.voting[:3], ["secretary", "organisation", "propaganda"], strict=True):
        OrgPost.objects.create(org=branch.branch_a, member=m, post=post, started_on=dt.date(2024, 1, 1))
    meeting = services.meeting_plan(
        org=branch.branch_a,
        acting_user=branch.secretary_a,
        type="committee",
        topic="支委会",
        starts_at=timezone.now(),
        audience=Meeting.Audience.COMMITTEE,
    )
    assert meeting.attendances.count() == 3
    present(meeting, branch.voting[:1])
    assert services.quorum(meeting)["reached"] is False
    present(meeting, branch.voting[1:2])
    assert services.quorum(meeting)["reached"] is True
