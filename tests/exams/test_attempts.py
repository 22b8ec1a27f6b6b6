"""The attempt flow through the services: start and resume, the server's deadline, grading methods, facts."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.core.errors import DomainError
from dangjian.exams import attempts, services
from dangjian.exams.models import Attempt, AttemptQuestion, Exam
from dangjian.points.models import PointsEntry
from dangjian.points.services import points_convert

from ..factories import UserFactory, make_member


def key(attempt):
    """The right answer of every question of an attempt (a hand-written key would say the same)."""
    out = {}
    for aq in attempt.questions.select_related("version"):
        v = aq.version
        out[str(aq.question_id)] = v.answer[0][0] if v.type == "blank" else v.answer
    return out


def at(monkeypatch, when):
    """Freeze django.utils.timezone.now (the services read the clock through it)."""
    monkeypatch.setattr(timezone, "now", lambda: when)


def test_start_builds_a_paper_of_its_own_and_resume_returns_it(cast, exam):
    attempt, shown, created = attempts.attempt_start(exam=exam, user=cast.member_a_user, rng=random.Random(1))
    assert created and len(shown) == 10 and attempt.max_score == Decimal("26.00")
    assert attempt.deadline == pytest.approx(attempt.started_at + dt.timedelta(minutes=30), abs=dt.timedelta(seconds=1))
    rows = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("slot"))
    assert sorted(r.position for r in rows) == list(range(10)) and len({r.question_id for r in rows}) == 10
    assert [r.version.type for r in rows] == ["single"] * 4 + ["multiple"] * 2 + ["judge"] * 2 + [
        "blank"
    ] * 2  # slots in rule order
    for r in rows:
        if r.version.type in ("single", "multiple"):
            assert sorted(r.option_order) == sorted(o["id"] for o in r.version.options)
    again, shown_again, created_again = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    assert not created_again and again.pk == attempt.pk
    assert [q.as_api() for q in shown_again] == [q.as_api() for q in shown]  # same questions, order and option order


def test_starts_reuse_what_the_paper_draws_from_until_the_bank_changes(cast, exam, bank, branch_members):
    """A burst of starts reads the rules and pools once per process; a question taken out of use or added is seen
    by the very next start (the bank's revision is part of the cache key)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.exams.bank import question_set_active
    from tests.exams.conftest import add_question

    first, second, third = (m.user for m in branch_members)
    attempts.attempt_start(exam=exam, user=first)
    exam.refresh_from_db()
    with CaptureQueriesContext(connection) as seen:
        attempts.attempt_start(exam=exam, user=second)
    assert not [q for q in seen.captured_queries if "exams_paperrule" in q["sql"] or "is_active" in q["sql"]]
    judges = list(bank.questions.filter(type="judge").order_by("id"))
    for q in judges[:3]:
        question_set_active(question=q, active=False, acting_user=cast.committee)
    added = add_question(bank, cast.committee, type="judge", stem="新判断题：党费按月交纳。", answer="对", difficulty=2)
    exam.refresh_from_db()
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=third)
    drawn = set(attempt.questions.filter(version__type="judge").values_list("question_id", flat=True))
    assert drawn == {judges[3].pk, added.pk}  # only the two in use now, the new one among them


def test_only_versions_an_attempt_holds_are_cached(cast, exam):
    """Until a start commits, an organiser may still edit a version nobody holds in place: the start reads its
    versions without keeping them; autosave and grading, which only see versions held, keep them."""
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    assert attempts._VERSIONS == {}
    attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers={})
    held = set(attempt.questions.values_list("version_id", flat=True))
    assert set(attempts._VERSIONS) == held


def test_paper_is_reviewed_exactly_as_it_was_after_the_question_changes(cast, exam, bank):
    from dangjian.exams.bank import question_edit
    from tests.exams.conftest import content

    attempt, shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    aq = attempt.questions.select_related("version", "question").filter(version__type="single").first()
    v = question_edit(
        question=aq.question,
        content=content(type="single", stem="改过的题干", options=["甲", "乙"], answer="B"),
        acting_user=cast.committee,
    )
    assert v.number == 2  # the version in the attempt stays as it was
    after = {q.id: q for q in attempts.attempt_paper(attempt)}
    before = {q.id: q for q in shown}
    assert after[aq.question_id].stem == before[aq.question_id].stem != "改过的题干"


def test_autosave_one_second_before_the_deadline_is_kept_and_one_second_after_refused(cast, exam, monkeypatch):
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    answers = key(attempt)
    first, rest = dict(list(answers.items())[:5]), dict(list(answers.items())[5:])
    at(monkeypatch, attempt.deadline - dt.timedelta(seconds=1))
    attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers=first)
    at(monkeypatch, attempt.deadline + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as refused:
        attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers=rest)
    assert refused.value.status == 409 and refused.value.errors[0]["field"] == "answers"
    attempt.refresh_from_db()
    assert set(attempt.answers) == set(first)
    # A late submit grades only what was saved in time.
    done = attempts.attempt_submit(attempt_id=attempt.pk, user=cast.member_a_user)
    expected = sum(aq.points for aq in attempt.questions.all() if str(aq.question_id) in first)
    assert done.status == Attempt.Status.SUBMITTED and done.auto_submitted and done.score == expected


def test_late_submit_under_not_counted_policy_discards_the_attempt(cast, exam, monkeypatch):
    Exam.objects.filter(pk=exam.pk).update(on_timeout=Exam.OnTimeout.DISCARD)
    exam.refresh_from_db()
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers=key(attempt))
    at(monkeypatch, attempt.deadline + dt.timedelta(seconds=1))
    done = attempts.attempt_submit(attempt_id=attempt.pk, user=cast.member_a_user)
    assert done.status == Attempt.Status.ABANDONED and done.score is None and not done.counts
    assert not Fact.objects.filter(kind=FactKind.EXAM_SCORE).exists()


def test_the_job_submits_attempts_nobody_came_back_to(cast, exam, monkeypatch):
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers=key(attempt))
    assert attempts.attempts_finish_expired() == 0
    at(monkeypatch, attempt.deadline + dt.timedelta(minutes=1))
    assert attempts.attempts_finish_expired() == 1
    attempt.refresh_from_db()
    assert (
        attempt.status == Attempt.Status.SUBMITTED
        and attempt.auto_submitted
        and attempt.score == Decimal("26.00")
        and attempt.counts
    )


def test_submit_grades_records_facts_and_is_idempotent(cast, exam):
    attempt, _shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers=key(attempt))
    done = attempts.attempt_submit(attempt_id=attempt.pk, user=cast.member_a_user)
    assert (done.score, done.max_score, done.passed, done.counts) == (Decimal("26.00"), Decimal("26.00"), True, True)
    assert attempts.attempt_submit(attempt_id=attempt.pk, user=cast.member_a_user).score == Decimal("26.00")
    facts = {f.kind: f for f in Fact.objects.filter(member_id=cast.member_a.pk)}
    assert facts[FactKind.EXAM_SCORE].quantity == Decimal("26.00") and facts[FactKind.EXAM_PASSED].quantity == 1
    assert facts[FactKind.EXAM_SCORE].org_path == cast.branch_a.path and Fact.objects.count() == 2
    with pytest.raises(DomainError):
        attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers={})


@pytest.mark.parametrize(("method", "counted"), [("highest", 1), ("last", 2), ("first", 1)])
def test_grading_methods_choose_the_attempt_that_counts(cast, exam, method, counted):
    Exam.objects.filter(pk=exam.pk).update(grading_method=method)
    exam.refresh_from_db()
    first, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    attempts.attempt_save_answers(attempt_id=first.pk, user=cast.member_a_user, answers=key(first))
    attempts.attempt_submit(attempt_id=first.pk, user=cast.member_a_user)
    second, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    attempts.attempt_submit(attempt_id=second.pk, user=cast.member_a_user)  # nothing answered: 0
    assert Attempt.objects.get(exam=exam, member=cast.member_a, counts=True).number == counted
    with pytest.raises(DomainError) as used_up:
        attempts.attempt_start(exam=exam, user=cast.member_a_user)
    assert used_up.value.status == 409
    assert Fact.objects.filter(kind=FactKind.EXAM_PASSED).count() == 1  # passing twice would still be one


def test_outsiders_and_other_branches_get_404_and_nothing_is_written(cast, exam, member_b_user):
    for user in (member_b_user, cast.outsider, cast.secretary_b):
        with pytest.raises(Http404):
            attempts.attempt_start(exam=exam, user=user)
    assert not Attempt.objects.exists()
    attempt, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    with pytest.raises(Http404):
        attempts.attempt_save_answers(attempt_id=attempt.pk, user=member_b_user, answers={})
    with pytest.raises(Http404):
        attempts.attempt_submit(attempt_id=attempt.pk, user=cast.secretary_a)


def test_audience_statuses_roles_and_window(cast, exam, monkeypatch):
    probationary = make_member(cast.branch_a, status="probationary", user=UserFactory())
    activist = make_member(cast.branch_a, status="activist", user=UserFactory())
    assert attempts.attempt_start(exam=exam, user=probationary.user)[2]
    with pytest.raises(Http404):
        attempts.attempt_start(exam=exam, user=activist.user)
    Exam.objects.filter(pk=exam.pk).update(audience_roles=["secretary"])
    exam.refresh_from_db()
    with pytest.raises(Http404):
        attempts.attempt_start(exam=exam, user=cast.member_a_user)  # not a secretary
    Exam.objects.filter(pk=exam.pk).update(audience_roles=[])
    exam.refresh_from_db()
    at(monkeypatch, exam.closes_at + dt.timedelta(seconds=1))
    with pytest.raises(DomainError) as closed:
        attempts.attempt_start(exam=exam, user=cast.member_a_user)
    assert closed.value.status == 409


def test_deadline_never_passes_the_closing_time(cast, exam, monkeypatch):
    at(monkeypatch, exam.closes_at - dt.timedelta(minutes=10))
    attempt, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    assert attempt.deadline == exam.closes_at


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"999999": "x"}, "answers.999999"),
        ({"abc": "x"}, "answers.abc"),
    ],
)
def test_autosave_refuses_keys_that_are_not_questions_of_the_attempt(cast, exam, answers, field):
    attempt, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    with pytest.raises(DomainError) as bad:
        attempts.attempt_save_answers(attempt_id=attempt.pk, user=cast.member_a_user, answers=answers)
    assert bad.value.errors[0]["field"] == field


def test_autosave_refuses_answers_of_the_wrong_shape_and_null_clears(cast, exam):
    attempt, shown, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    multiple = next(q for q in shown if q.type == "multiple")
    single = next(q for q in shown if q.type == "single")
    with pytest.raises(DomainError) as bad:
        attempts.attempt_save_answers(
            attempt_id=attempt.pk,
            user=cast.member_a_user,
            answers={str(multiple.id): {"a": 1}, str(single.id): ["x"] * 99},
        )
    assert {e["field"] for e in bad.value.errors} == {f"answers.{multiple.id}", f"answers.{single.id}"}
    attempts.attempt_save_answers(
        attempt_id=attempt.pk, user=cast.member_a_user, answers={str(single.id): single.options[0]["id"]}
    )
    cleared = attempts.attempt_save_answers(
        attempt_id=attempt.pk, user=cast.member_a_user, answers={str(single.id): None}
    )
    assert cleared.answers == {}


def test_publishing_needs_a_future_closing_and_a_draft(cast, random_paper):
    now = timezone.now()
    with pytest.raises(DomainError) as bad:
        services.exam_save(
            org=cast.company_a,
            paper=random_paper,
            acting_user=cast.committee,
            title="x",
            opens_at=now,
            closes_at=now - dt.timedelta(hours=1),
        )
    assert bad.value.errors[0]["field"] == "closes_at"
    with pytest.raises(Http404):
        services.exam_save(
            org=cast.company_a,
            paper=random_paper,
            acting_user=cast.secretary_b,
            title="x",
            opens_at=now,
            closes_at=now + dt.timedelta(hours=1),
        )
    with pytest.raises(DomainError) as not_shared:
        services.exam_save(
            org=cast.branch_b,
            paper=random_paper,
            acting_user=cast.committee,
            title="x",
            opens_at=now,
            closes_at=now + dt.timedelta(hours=1),
        )
    assert not_shared.value.errors[0]["field"] == "paper"  # Company A's paper is not shared with Company B


def test_exam_facts_become_points(cast, exam):
    a, _s, _ = attempts.attempt_start(exam=exam, user=cast.member_a_user)
    answers = {
        str(aq.question_id): (aq.version.answer[0][0] if aq.version.type == "blank" else aq.version.answer)
        for aq in a.questions.select_related("version")
    }
    attempts.attempt_save_answers(attempt_id=a.pk, user=cast.member_a_user, answers=answers)
    attempts.attempt_submit(attempt_id=a.pk, user=cast.member_a_user)
    points_convert()
    assert {e.kind: e.points for e in PointsEntry.objects.filter(member=cast.member_a)} == {
        "exams.passed": Decimal("5.00")
    }
