"""Competitions: recurring rounds (one exam per period), challenge mode until the first mistake, leaderboards by
branch always and by person only where the organiser turned it on."""

import datetime as dt
import random

import pytest
from django.http import Http404
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.exams import attempts, competitions
from dangjian.exams.models import ChallengeRun, Competition, Exam

from ..conftest import login
from ..factories import UserFactory, make_member
from .conftest import bearer


@pytest.fixture
def weekly(cast, random_paper):
    return competitions.competition_save(
        org=cast.company_a,
        acting_user=cast.committee,
        title="党章周赛",
        kind="recurring",
        recurrence="weekly",
        paper=random_paper,
        time_limit_minutes=10,
    )


@pytest.fixture
def challenge(cast, bank):
    return competitions.competition_save(
        org=cast.company_a,
        acting_user=cast.committee,
        title="挑战答题",
        kind="challenge",
        bank=bank,
        seconds_per_question=30,
    )


def right_answer(version):
    return {
        "single": version.answer,
        "multiple": version.answer,
        "judge": True,
        "blank": version.answer[0][0] if version.type == "blank" else None,
    }[version.type]


def test_period_bounds_in_local_time():
    tz = timezone.get_current_timezone()
    now = dt.datetime(2026, 5, 3, 23, 30, tzinfo=tz)  # a Sunday night
    key, start, end = competitions.period_bounds("weekly", now)
    assert (key, start.date(), end.date()) == ("2026-W18", dt.date(2026, 4, 27), dt.date(2026, 5, 4))
    assert competitions.period_bounds("monthly", now)[0] == "2026-05"
    key, start, end = competitions.period_bounds("quarterly", dt.datetime(2026, 12, 31, 23, 0, tzinfo=tz))
    assert (key, start.date(), end.date()) == ("2026-Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1))


def test_recurring_rounds_are_one_exam_per_period(cast, weekly):
    first = competitions.competition_round(weekly)
    assert (
        competitions.competition_round(weekly).pk == first.pk
        and first.status == Exam.Status.PUBLISHED
        and first.attempts_allowed == 1
    )
    later = competitions.competition_round(weekly, timezone.now() + dt.timedelta(days=7))
    assert later.pk != first.pk and Exam.objects.filter(competition=weekly).count() == 2
    assert competitions.rounds_ensure() == 1


def test_branch_board_ranks_and_person_board_is_off_by_default(cast, weekly, member_b_user):
    exam = competitions.competition_round(weekly)
    users = [UserFactory() for _ in range(2)]
    for u in users:
        make_member(cast.branch_a, user=u)
    for u, right in ((users[0], True), (users[1], False)):
        a, _s, _ = attempts.attempt_start(exam=exam, user=u)
        if right:
            key = {str(aq.question_id): right_answer(aq.version) for aq in a.questions.select_related("version")}
            attempts.attempt_save_answers(attempt_id=a.pk, user=u, answers=key)
        attempts.attempt_submit(attempt_id=a.pk, user=u)
    board = competitions.branch_board(weekly)
    assert [(b["name"], b["players"], b["rank"]) for b in board] == [("甲公司第一党支部", 2, 1)]
    assert board[0]["value"] == pytest.approx(50.0)  # (100 + 0) / 2
    assert competitions.person_board(weekly) is None
    Competition.objects.filter(pk=weekly.pk).update(person_leaderboard=True)
    weekly.refresh_from_db()
    persons = competitions.person_board(weekly)
    assert [p["rank"] for p in persons] == [1, 2]


def test_challenge_runs_until_the_first_mistake(cast, challenge):
    run = competitions.challenge_start(competition=challenge, user=cast.member_a_user, rng=random.Random(2))
    assert run.current_version is not None and competitions.challenge_question(run).as_api().keys() == {
        "id",
        "type",
        "stem",
        "options",
    }
    for _ in range(3):
        run, right = competitions.challenge_answer(
            competition=challenge, user=cast.member_a_user, response=right_answer(run.current_version)
        )
        assert right
    run, right = competitions.challenge_answer(competition=challenge, user=cast.member_a_user, response="wrong")
    assert not right and run.status == "ended" and run.ended_by == "wrong" and run.streak == 3
    fact = Fact.objects.get(kind=FactKind.CHALLENGE_CORRECT)
    assert fact.quantity == 3 and fact.member_id == cast.member_a.pk
    assert len(set(run.asked)) == len(run.asked) == 4  # never the same question twice in a run


def test_challenge_timeout_and_scope(cast, challenge, member_b_user, monkeypatch):
    run = competitions.challenge_start(competition=challenge, user=cast.member_a_user)
    later = timezone.now() + dt.timedelta(seconds=challenge.seconds_per_question + 5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    run, right = competitions.challenge_answer(
        competition=challenge, user=cast.member_a_user, response=right_answer(run.current_version)
    )
    assert not right and run.ended_by == "timeout"
    with pytest.raises(Http404):
        competitions.challenge_start(competition=challenge, user=member_b_user)
    assert not ChallengeRun.objects.filter(member=cast.member_b).exists()


def test_challenge_board_is_ranked_in_sql(cast, challenge):
    for user, streak in ((cast.member_a_user, 2), (UserFactory(), 0)):
        if user is not cast.member_a_user:
            make_member(cast.branch_a, user=user)
        run = competitions.challenge_start(competition=challenge, user=user)
        for _ in range(streak):
            run, _r = competitions.challenge_answer(
                competition=challenge, user=user, response=right_answer(run.current_version)
            )
        competitions.challenge_answer(competition=challenge, user=user, response="wrong")
    board = competitions.branch_board(challenge)
    assert [(b["name"], b["players"], b["value"], b["rank"]) for b in board] == [("甲公司第一党支部", 2, 1.0, 1)]


def test_competition_screens(client, cast, weekly, challenge, member_b_user):
    login(client, cast.member_a_user)
    page = client.get(f"/exams/competitions/{weekly.pk}/")
    assert (
        page.status_code == 200
        and 'data-testid="my-competition"' in page.content.decode()
        and 'data-testid="person-board"' not in page.content.decode()
    )
    assert client.get(f"/exams/competitions/{challenge.pk}/challenge/").status_code == 200
    started = client.post(f"/exams/competitions/{challenge.pk}/challenge/", {"action": "start"}, HTTP_HX_REQUEST="true")
    assert started.status_code == 200 and 'name="answer"' in started.content.decode()
    answered = client.post(f"/exams/competitions/{challenge.pk}/challenge/", {"type": "single", "answer": "nonsense"})
    assert answered.status_code == 200
    assert (
        client.post(f"/exams/competitions/{weekly.pk}/challenge/", {"action": "start"}).status_code == 404
    )  # not a challenge
    login(client, member_b_user)
    assert client.get(f"/exams/competitions/{weekly.pk}/").status_code == 404
    assert client.post(f"/exams/competitions/{challenge.pk}/challenge/", {"action": "start"}).status_code == 404
    login(client, cast.secretary_a)
    assert client.get(f"/exams/competitions/{weekly.pk}/edit/").status_code == 404  # Company A's, not the branch's
    login(client, cast.committee)
    bad = client.post(
        "/exams/competitions/new/",
        {"title": "月赛", "org": cast.company_a.pk, "kind": "recurring", "seconds_per_question": 30},
    )
    assert bad.status_code == 400 and "recurrence" in bad.context["form"].errors
    assert (
        client.post(
            f"/exams/competitions/{weekly.pk}/edit/",
            {
                "title": "党章周赛",
                "org": cast.company_a.pk,
                "kind": "recurring",
                "recurrence": "weekly",
                "paper": weekly.paper_id,
                "seconds_per_question": 30,
                "person_leaderboard": "on",
                "is_active": "on",
            },
        ).status_code
        == 302
    )
    weekly.refresh_from_db()
    assert weekly.person_leaderboard


def test_round_is_taken_through_the_api_like_any_exam(client, cast, weekly):
    exam = competitions.competition_round(weekly)
    headers = bearer(cast.member_a_user)
    assert client.post(f"/api/v1/exams/{exam.pk}/attempts", **headers).status_code == 201
