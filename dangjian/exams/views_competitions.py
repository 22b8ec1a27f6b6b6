"""Competition screens: the competition with its current round and leaderboards, challenge play, settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError, form_add_domain_error
from dangjian.core.scoping import get_or_404, has_org_perm, scope_paths

from . import competitions
from .forms import CompetitionForm
from .models import Attempt, ChallengeRun, Competition, QuestionType
from .selectors import competitions_visible_to


@login_required
def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    competition = get_or_404(competitions_visible_to(request.user).select_related("org", "paper", "bank"), pk=pk)
    member = getattr(request.user, "member", None)
    manage = has_org_perm(request.user, competition.org, "members.manage")
    context = {
        "competition": competition,
        "manage": manage,
        "member": member,
        "branches": competitions.branch_board(competition),
        "persons": competitions.person_board(competition),
    }
    if competition.kind == Competition.Kind.RECURRING:
        exam = competitions.competition_round(competition)
        context["round"] = exam
        context["my_attempt"] = (
            Attempt.objects.filter(exam=exam, member=member).order_by("-number").first() if member else None
        )
        context["round_open"] = exam.is_open(timezone.now())
    else:
        context["best"] = competitions.my_best(competition, member)
        context["playing"] = (
            ChallengeRun.objects.filter(
                competition=competition, member=member, status=ChallengeRun.Status.PLAYING
            ).exists()
            if member
            else False
        )
    return render(request, "exams/competition.html", context)


@login_required
def challenge(request: HttpRequest, pk: int) -> HttpResponse:
    """Challenge mode on a phone: POST "start" begins a run, POST "answer" grades the question shown."""
    competition = get_or_404(competitions_visible_to(request.user).select_related("org", "category"), pk=pk)
    if competition.kind != Competition.Kind.CHALLENGE:
        raise Http404
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    result = None
    status = 200
    try:
        if request.method == "POST" and request.POST.get("action") == "start":
            competitions.challenge_start(competition=competition, user=request.user)
        elif request.method == "POST":
            qtype = request.POST.get("type", "")
            response = (
                request.POST.getlist("answer") if qtype == QuestionType.MULTIPLE else request.POST.get("answer", "")
            )
            _run, right = competitions.challenge_answer(competition=competition, user=request.user, response=response)
            result = "right" if right else "wrong"
    except DomainError as exc:
        messages.error(request, exc.message)
        status = 400
    run = (
        ChallengeRun.objects.filter(competition=competition, member=member)
        .select_related("current_version")
        .order_by("-started_at")
        .first()
    )
    question = (
        competitions.challenge_question(run) if run is not None and run.status == ChallengeRun.Status.PLAYING else None
    )
    template = "exams/_challenge.html" if request.headers.get("HX-Request") else "exams/challenge.html"
    return render(
        request,
        template,
        {
            "competition": competition,
            "run": run,
            "question": question,
            "result": result,
            "best": competitions.my_best(competition, member),
        },
        status=status,
    )


@login_required
def competition_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not scope_paths(request.user, "members.manage") and not request.user.is_superuser:
        raise Http404
    competition = None
    if pk is not None:
        competition = get_or_404(competitions_visible_to(request.user), pk=pk)
        if not has_org_perm(request.user, competition.org, "members.manage"):
            raise Http404
    form = CompetitionForm(request.POST or None, instance=competition, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        org, title, kind = d.pop("org"), d.pop("title"), d.pop("kind")
        try:
            saved = competitions.competition_save(
                org=org, title=title, kind=kind, acting_user=request.user, competition=competition, **d
            )
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("Competition saved."))
            return redirect("exams:competition", pk=saved.pk)
    return render(
        request,
        "exams/competition_form.html",
        {"form": form, "competition": competition},
        status=400 if request.method == "POST" else 200,
    )
