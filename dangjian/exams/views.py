"""Member screens of exams (phone first): my exams, an exam, taking an attempt with autosave and a countdown,
the result and review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, has_org_perm, user_has_any_org_role

from . import attempts
from .bank import LETTERS
from .models import Attempt, QuestionType
from .selectors import competitions_visible_to, eligible, exams_managed_by, exams_visible_to, my_open_exams
from .services import review_allowed


@login_required
def exam_list(request: HttpRequest) -> HttpResponse:
    member = getattr(request.user, "member", None)
    governs = user_has_any_org_role(request.user)  # type: ignore[arg-type]
    if member is None and not governs:
        raise Http404
    open_exams = my_open_exams(member)
    mine: dict[int, list[Attempt]] = {}
    recent: list[Attempt] = []
    if member is not None:
        for a in Attempt.objects.filter(member=member).select_related("exam").order_by("-started_at")[:100]:
            mine.setdefault(a.exam_id, []).append(a)
            if a.status != Attempt.Status.IN_PROGRESS and len(recent) < 10:
                recent.append(a)
    rows = [
        {
            "exam": e,
            "used": len(mine.get(e.pk, [])),
            "open_attempt": next((a for a in mine.get(e.pk, []) if a.status == Attempt.Status.IN_PROGRESS), None),
        }
        for e in open_exams
    ]
    managed = None
    if governs:
        managed = Paginator(
            exams_managed_by(request.user, "members.view")
            .filter(competition__isnull=True)
            .select_related("org")
            .order_by("-opens_at", "-id"),
            30,
        ).get_page(request.GET.get("page"))
    competitions = list(competitions_visible_to(request.user).filter(is_active=True).order_by("-created_at")[:10])
    return render(
        request,
        "exams/list.html",
        {
            "rows": rows,
            "recent": recent,
            "page_obj": managed,
            "governs": governs,
            "competitions": competitions,
            "querystring": "",
            "now": timezone.now(),
        },
    )


@login_required
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exam = get_or_404(exams_visible_to(request.user).select_related("org", "paper", "paper__bank"), pk=pk)
    member = getattr(request.user, "member", None)
    manage = has_org_perm(request.user, exam.org, "members.manage")
    mine = list(Attempt.objects.filter(exam=exam, member=member).order_by("number")) if member is not None else []
    now = timezone.now()
    can_take = eligible(exam, member)
    left = (exam.attempts_allowed - len(mine)) if exam.attempts_allowed else None
    context = {
        "exam": exam,
        "manage": manage,
        "mine": mine,
        "can_take": can_take and exam.is_open(now),
        "eligible": can_take,
        "open_attempt": next((a for a in mine if a.status == Attempt.Status.IN_PROGRESS and a.deadline >= now), None),
        "left": left,
        "now": now,
        "rules": list(exam.paper.rules.select_related("category", "knowledge_point")),
    }
    if manage or has_org_perm(request.user, exam.org, "members.view"):
        context["counts"] = {s: exam.attempts.filter(status=s).count() for s in Attempt.Status.values}
    return render(request, "exams/detail.html", context)


@login_required
@require_POST
def take(request: HttpRequest, pk: int) -> HttpResponse:
    """Start (or resume) an attempt and go to it."""
    exam = get_or_404(exams_visible_to(request.user).select_related("paper", "paper__bank"), pk=pk)
    try:
        attempt, _shown, _created = attempts.attempt_start(exam=exam, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("exams:detail", pk=exam.pk)
    return redirect("exams:attempt", pk=attempt.pk)


def _posted_answers(request: HttpRequest, shown: list[attempts.ShownQuestion]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in shown:
        name = f"q{q.id}"
        if q.type == QuestionType.MULTIPLE:
            values: Any = request.POST.getlist(name)
        elif q.type == QuestionType.BLANK:
            values = request.POST.getlist(name)
            values = values[0] if len(values) == 1 else values
        else:
            values = request.POST.get(name)
        if values not in (None, "", []):
            out[str(q.id)] = values
    return out


@login_required
def attempt_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The attempt: the exam itself while time lasts, then the result (and review when the policy allows)."""
    attempt = attempts.attempt_for_member(attempt_id=pk, user=request.user)
    now = timezone.now()
    if attempt.status == Attempt.Status.IN_PROGRESS and now > attempt.deadline:
        attempt = attempts.attempt_finish_expired(attempt=attempt)
    if attempt.status == Attempt.Status.IN_PROGRESS:
        shown = attempts.attempt_paper(attempt)
        for q in shown:
            q.saved = attempt.answers.get(str(q.id))  # type: ignore[attr-defined]
            for i, o in enumerate(q.options):
                o["letter"] = LETTERS[i] if q.type != QuestionType.JUDGE else ""
            if q.type == QuestionType.BLANK:
                saved = q.saved if isinstance(q.saved, list) else [q.saved or ""]  # type: ignore[attr-defined]
                q.blank_values = (saved + [""] * q.blanks)[: q.blanks]  # type: ignore[attr-defined]
        remaining = max(0, int((attempt.deadline - now).total_seconds()))
        return render(
            request,
            "exams/take.html",
            {"attempt": attempt, "exam": attempt.exam, "questions": shown, "remaining": remaining},
        )
    show = review_allowed(attempt.exam, submitted=attempt.status == Attempt.Status.SUBMITTED)
    rows = list(attempt.questions.select_related("version").order_by("position"))
    review = []
    for aq in rows:
        q = attempts._shown(aq, aq.version)
        given = attempt.answers.get(str(aq.question_id))
        right_ids = aq.version.answer if isinstance(aq.version.answer, list) else [aq.version.answer]
        if aq.version.type == QuestionType.JUDGE:
            right_ids = ["true" if aq.version.answer else "false"]
        review.append(
            {
                "q": q,
                "response": given,
                "score": aq.score,
                "points": aq.points,
                "right_ids": right_ids if show else [],
                "answer": aq.version.answer if show else None,
                "explanation": aq.version.explanation if show else "",
                "chosen": _chosen(given),
                "response_text": "；".join(map(str, given)) if isinstance(given, list) else (given or ""),
            }
        )
    return render(
        request, "exams/result.html", {"attempt": attempt, "exam": attempt.exam, "review": review, "show": show}
    )


def _points(value: Any) -> str:
    return format(value.normalize(), "f") if value is not None else "—"


def _chosen(response: Any) -> list[str]:
    if isinstance(response, list):
        return [str(r) for r in response]
    if isinstance(response, bool):
        return ["true" if response else "false"]
    return [str(response)] if response not in (None, "") else []


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit from the page; without JavaScript the form carries the answers, which are saved first if in time."""
    attempt = attempts.attempt_for_member(attempt_id=pk, user=request.user)
    if attempt.status == Attempt.Status.IN_PROGRESS and timezone.now() <= attempt.deadline:
        posted = _posted_answers(request, attempts.attempt_paper(attempt))
        if posted:
            try:
                attempts.attempt_save_answers(attempt_id=attempt.pk, user=request.user, answers=posted)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("exams:attempt", pk=attempt.pk)
    done = attempts.attempt_submit(attempt_id=attempt.pk, user=request.user)
    if done.status == Attempt.Status.SUBMITTED:
        messages.success(
            request,
            _("Submitted: %(score)s of %(max)s.") % {"score": _points(done.score), "max": _points(done.max_score)},
        )
    else:
        messages.warning(request, _("Time ran out before you submitted; this attempt does not count."))
    return redirect("exams:attempt", pk=attempt.pk)
