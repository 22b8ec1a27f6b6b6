"""Web screens of the democratic review: members review themselves and each other and rate anonymously;
the secretary proposes grades and confirms them at the general meeting."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, has_org_perm, is_global_admin, orgs_visible_to, path_q, scope_paths

from . import review
from .models import Meeting, MeetingType, RatingTally, ReviewGrade, ReviewParticipant, ReviewResult, ReviewRound


def _rounds_for(user: Any) -> QuerySet[ReviewRound]:
    if is_global_admin(user):
        return ReviewRound.objects.all()
    q = path_q(scope_paths(user, "members.view"))
    member = getattr(user, "member", None)
    if member is not None:
        q |= Q(participants__member=member)
    return ReviewRound.objects.filter(q).distinct()


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    rounds = _rounds_for(request.user).select_related("org").order_by("-year")[:50]
    orgs = (
        orgs_visible_to(request.user, "members.manage").exclude(kind__in=["committee", "group"]).order_by("path")[:200]
    )
    if request.method == "POST":
        org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=int(request.POST.get("org", "0") or 0))
        try:
            rnd = review.review_open(
                org=org, year=int(request.POST.get("year") or timezone.localdate().year), acting_user=request.user
            )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            return redirect("meetings:review_detail", pk=rnd.pk)
    return render(
        request, "meetings/review_list.html", {"rounds": rounds, "orgs": orgs, "year": timezone.localdate().year}
    )


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_or_404(_rounds_for(request.user).select_related("org"), pk=pk)
    manage = has_org_perm(request.user, rnd.org, "members.manage")
    member = getattr(request.user, "member", None)
    me = ReviewParticipant.objects.filter(round=rnd, member=member).first() if member else None
    participants = list(rnd.participants.select_related("member").order_by("member__name"))
    results = {r.member_id: r.grade for r in ReviewResult.objects.filter(round=rnd)}
    context = {
        "rnd": rnd,
        "manage": manage,
        "me": me,
        "participants": participants,
        "grades": ReviewGrade.choices,
        "results": results,
        "cap": review.excellent_cap(sum(1 for p in participants if p.graded)),
    }
    if manage:
        tallies: dict[int, dict[str, int]] = {}
        for t in RatingTally.objects.filter(round=rnd):
            tallies.setdefault(t.subject_id, {})[t.grade] = t.count
        context["tallies"] = tallies
        context["rated"] = sum(1 for p in participants if p.has_rated)
        context["meetings"] = Meeting.objects.filter(
            org=rnd.org,
            status=Meeting.Status.HELD,
            type__in=[MeetingType.GENERAL, MeetingType.ORG_LIFE, MeetingType.REVIEW],
        ).order_by("-starts_at")[:20]
    return render(request, "meetings/review_detail.html", context)


def _round_for_member(request: HttpRequest, pk: int) -> tuple[ReviewRound, Any]:
    rnd = get_or_404(_rounds_for(request.user).select_related("org"), pk=pk)
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    return rnd, member


@login_required
@require_POST
def review_self(request: HttpRequest, pk: int) -> HttpResponse:
    rnd, member = _round_for_member(request, pk)
    try:
        review.review_self(rnd=rnd, member=member, text=request.POST.get("text", ""))
        messages.success(request, _("Self-review saved."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:review_detail", pk=rnd.pk)


@login_required
@require_POST
def review_rate(request: HttpRequest, pk: int) -> HttpResponse:
    rnd, member = _round_for_member(request, pk)
    grades = {int(k[6:]): str(v) for k, v in request.POST.items() if k.startswith("grade_") and k[6:].isdigit() and v}
    try:
        review.review_rate(rnd=rnd, rater=member, grades=grades)
        messages.success(request, _("Your anonymous rating was recorded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:review_detail", pk=rnd.pk)


@login_required
@require_POST
def review_propose(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_or_404(_rounds_for(request.user).select_related("org"), pk=pk)
    grades = {int(k[6:]): str(v) for k, v in request.POST.items() if k.startswith("grade_") and k[6:].isdigit() and v}
    try:
        review.review_propose(rnd=rnd, grades=grades, acting_user=request.user)
        messages.success(request, _("Grades proposed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:review_detail", pk=rnd.pk)


@login_required
@require_POST
def review_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_or_404(_rounds_for(request.user).select_related("org"), pk=pk)
    meeting = get_or_404(Meeting.objects.filter(org=rnd.org), pk=int(request.POST.get("meeting", "0") or 0))
    try:
        review.review_confirm(rnd=rnd, meeting=meeting, acting_user=request.user)
        messages.success(request, _("Results confirmed and published."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("meetings:review_detail", pk=rnd.pk)
