"""API of exams: my exams, start or resume an attempt, autosave answers, submit, review; analysis for organisers.

The paper an attempt returns never carries answers or explanations; they appear in the review only once the
exam's review policy allows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, Field

from dangjian.core.scoping import get_or_404, has_org_perm, is_global_admin, scope_paths

from . import analysis, attempts
from .models import Attempt, Exam
from .selectors import exams_visible_to, my_open_exams
from .services import review_allowed

router = Router(tags=["exams"])
attempts_router = Router(tags=["exams"])


# The paper's parts are plain pydantic models: ninja's Schema runs a wrapping validator on every object (to read
# Django models), which for a 20-question paper was a fifth of the cost of starting an attempt.
class OptionOut(BaseModel):
    id: str
    text: str


class QuestionOut(BaseModel):
    id: int
    type: str
    stem: str
    options: list[OptionOut]


class AttemptOut(Schema):
    id: int
    deadline: dt.datetime
    questions: list[QuestionOut]
    saved: dict[str, Any] = Field(
        default_factory=dict, description="The member's own answers saved so far (for resuming)."
    )
    remaining_seconds: int


class ExamOut(Schema):
    id: int
    title: str
    description: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    time_limit_minutes: int | None
    attempts_allowed: int
    attempts_used: int
    max_score: float
    pass_percent: float
    in_progress_attempt: int | None


class ExamListOut(Schema):
    items: list[ExamOut]
    count: int


def _exam_out(exam: Exam, mine: list[Attempt]) -> ExamOut:
    open_attempt = next((a.pk for a in mine if a.status == Attempt.Status.IN_PROGRESS), None)
    return ExamOut(
        id=exam.pk,
        title=exam.title,
        description=exam.description,
        opens_at=exam.opens_at,
        closes_at=exam.closes_at,
        time_limit_minutes=exam.time_limit_minutes,
        attempts_allowed=exam.attempts_allowed,
        attempts_used=len(mine),
        max_score=float(exam.max_score),
        pass_percent=float(exam.pass_percent),
        in_progress_attempt=open_attempt,
    )


@router.get("", response=ExamListOut)
def exam_list(
    request: HttpRequest, page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:  # type: ignore[type-arg]
    """Exams open now that the caller may take, soonest closing first."""
    member = getattr(request.user, "member", None)
    exams = my_open_exams(member)
    mine: dict[int, list[Attempt]] = {}
    if member is not None and exams:
        for a in Attempt.objects.filter(member=member, exam__in=exams).only("id", "exam_id", "status"):
            mine.setdefault(a.exam_id, []).append(a)
    start = (page - 1) * page_size
    return {"items": [_exam_out(e, mine.get(e.pk, [])) for e in exams[start : start + page_size]], "count": len(exams)}


@router.get("/{exam_id}", response=ExamOut)
def exam_detail(request: HttpRequest, exam_id: int) -> ExamOut:
    exam = get_or_404(exams_visible_to(request.user), pk=exam_id)
    member = getattr(request.user, "member", None)
    mine = list(Attempt.objects.filter(member=member, exam=exam)) if member is not None else []
    return _exam_out(exam, mine)


def _attempt_out(attempt: Attempt, shown: list[attempts.ShownQuestion]) -> AttemptOut:
    remaining = max(0, int((attempt.deadline - timezone.now()).total_seconds()))
    return AttemptOut(
        id=attempt.pk,
        deadline=attempt.deadline,
        questions=[QuestionOut(**q.as_api()) for q in shown],
        saved=attempt.answers,
        remaining_seconds=remaining,
    )


@router.post("/{exam_id}/attempts", response={200: AttemptOut, 201: AttemptOut})
def attempt_start(request: HttpRequest, exam_id: int) -> Status[AttemptOut]:
    """Start an attempt (201), or resume the open one with the same paper (200). Outside the audience: 404."""
    exam = get_or_404(Exam.objects.select_related("paper", "paper__bank"), pk=exam_id)
    attempt, shown, created = attempts.attempt_start(exam=exam, user=request.user)
    return Status(201 if created else 200, _attempt_out(attempt, shown))


class AnswersIn(Schema):
    answers: dict[str, Any] = Field(max_length=300)


class SavedOut(Schema):
    id: int
    saved: int
    saved_at: dt.datetime
    deadline: dt.datetime
    remaining_seconds: int


@attempts_router.put("/{attempt_id}/answers", response=SavedOut)
def answers_save(request: HttpRequest, attempt_id: int, payload: AnswersIn) -> SavedOut:
    """Autosave: merge ``{"answers": {"<question id>": value}}`` (null clears one). 409 after the deadline."""
    attempt = attempts.attempt_save_answers(attempt_id=attempt_id, user=request.user, answers=payload.answers)
    assert attempt.saved_at is not None
    return SavedOut(
        id=attempt.pk,
        saved=len(attempt.answers),
        saved_at=attempt.saved_at,
        deadline=attempt.deadline,
        remaining_seconds=max(0, int((attempt.deadline - timezone.now()).total_seconds())),
    )


class ResultOut(Schema):
    score: float | None
    max_score: float
    passed: bool | None


@attempts_router.post("/{attempt_id}/submit", response=ResultOut)
def attempt_submit(request: HttpRequest, attempt_id: int) -> ResultOut:
    """Submit and grade; after the deadline only what was saved in time counts."""
    attempt = attempts.attempt_submit(attempt_id=attempt_id, user=request.user)
    return ResultOut(
        score=float(attempt.score) if attempt.score is not None else None,
        max_score=float(attempt.max_score),
        passed=attempt.passed,
    )


class ReviewQuestionOut(Schema):
    id: int
    type: str
    stem: str
    options: list[OptionOut]
    points: float
    response: Any = None
    score: float | None = None
    answer: Any = None
    explanation: str | None = None


class ReviewOut(Schema):
    id: int
    exam_id: int
    status: str
    started_at: dt.datetime
    deadline: dt.datetime
    submitted_at: dt.datetime | None
    score: float | None
    max_score: float
    passed: bool | None
    answers_shown: bool
    questions: list[ReviewQuestionOut]


@attempts_router.get("/{attempt_id}", response=ReviewOut)
def attempt_review(request: HttpRequest, attempt_id: int) -> ReviewOut:
    """One's own attempt as it was shown; right answers and explanations only when the review policy allows."""
    attempt = attempts.attempt_for_member(attempt_id=attempt_id, user=request.user)
    submitted = attempt.status != Attempt.Status.IN_PROGRESS
    show = review_allowed(attempt.exam, submitted=attempt.status == Attempt.Status.SUBMITTED)
    rows = attempt.questions.select_related("version").order_by("position")
    questions = []
    for aq in rows:
        q = attempts._shown(aq, aq.version)
        questions.append(
            ReviewQuestionOut(
                **q.as_api(),
                points=float(aq.points),
                response=attempt.answers.get(str(aq.question_id)),
                score=float(aq.score) if submitted and aq.score is not None else None,
                answer=aq.version.answer if show else None,
                explanation=aq.version.explanation if show else None,
            )
        )
    return ReviewOut(
        id=attempt.pk,
        exam_id=attempt.exam_id,
        status=attempt.status,
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        submitted_at=attempt.submitted_at,
        score=float(attempt.score) if attempt.score is not None else None,
        max_score=float(attempt.max_score),
        passed=attempt.passed,
        answers_shown=show,
        questions=questions,
    )


class ItemOut(Schema):
    question_id: int
    version: int
    type: str
    attempts: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None


class AnalysisOut(Schema):
    attempts: int
    mean: float | None
    median: float | None
    sd: float | None
    pass_rate: float | None
    cic: float | None
    error_ratio: float | None
    standard_error: float | None
    distribution: list[tuple[str, int]]
    items: list[ItemOut]


@router.get("/{exam_id}/analysis", response=AnalysisOut)
def exam_analysis(request: HttpRequest, exam_id: int) -> AnalysisOut:
    """Item analysis (Moodle's formulas) of the counted attempts in the caller's scope."""
    exam = get_or_404(exams_visible_to(request.user), pk=exam_id)
    if not (is_global_admin(request.user) or scope_paths(request.user, "members.view")):
        raise Http404
    paths = None if has_org_perm(request.user, exam.org, "members.view") else scope_paths(request.user, "members.view")
    s = analysis.exam_statistics(exam, paths)
    return AnalysisOut(
        attempts=s.n,
        mean=s.mean,
        median=s.median,
        sd=s.sd,
        pass_rate=s.pass_rate,
        cic=s.cic,
        error_ratio=s.error_ratio,
        standard_error=s.standard_error,
        distribution=s.distribution,
        items=[
            ItemOut(
                question_id=i.question_id,
                version=i.version_number,
                type=i.type,
                attempts=i.s,
                facility=i.facility,
                sd=i.sd,
                discrimination=i.discrimination,
                efficiency=i.efficiency,
            )
            for i in s.items
        ],
    )
