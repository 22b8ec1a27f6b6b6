"""Web screens of reflections (学习心得): the branch's reflections, writing one, likes, comments, moderation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404

from . import reflections
from .models import ReflectionComment, Resource, StudyProgress
from .selectors import can_moderate, reflections_visible_to, resources_for_study
from .views import can_manage
from .views_manage import _apply_errors, refused

PAGE_SIZE = 20


class ReflectionForm(forms.Form):
    resource = forms.ModelChoiceField(
        label=gettext_lazy("On"),
        queryset=Resource.objects.none(),
        required=False,
        empty_label=gettext_lazy("My study in general"),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Reflection"), widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = getattr(user, "member", None)
        studied = StudyProgress.objects.filter(member=member, study_ms__gt=0).values("resource_id")
        self.fields["resource"].queryset = resources_for_study(user).filter(pk__in=studied).order_by("title")  # type: ignore[attr-defined]


@login_required
def reflection_list(request: HttpRequest) -> HttpResponse:
    qs = reflections_visible_to(request.user).select_related("member", "resource").order_by("-created_at", "-id")
    featured = list(qs.filter(featured_at__isnull=False, hidden_at__isnull=True).order_by("-featured_at")[:5])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "learning/reflections.html",
        {
            "page_obj": page,
            "featured": featured,
            "querystring": "",
            "can_write": getattr(request.user, "member", None) is not None,
            "can_manage": can_manage(request.user),
        },
    )


@login_required
def reflection_new(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "member", None) is None:
        raise Http404
    initial = {"resource": request.GET.get("resource")} if str(request.GET.get("resource", "")).isdigit() else None
    form = ReflectionForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            r = reflections.reflection_write(
                acting_user=request.user, title=d["title"], body=d["body"], resource=d["resource"]
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Reflection shared with your branch."))
            return redirect("learning:reflection", pk=r.pk)
    return render(
        request, "learning/reflection_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@login_required
def reflection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    r = get_or_404(reflections_visible_to(request.user).select_related("member", "resource", "hidden_by"), pk=pk)
    moderate = can_moderate(request.user, r)
    comments = r.comments.select_related("member").order_by("created_at", "id")
    if not moderate:
        comments = comments.filter(hidden_at__isnull=True)
    member = getattr(request.user, "member", None)
    liked = member is not None and r.likes.filter(member=member).exists()
    return render(
        request,
        "learning/reflection.html",
        {"r": r, "comments": comments, "moderate": moderate, "liked": liked, "member": member},
    )


def _visible(request: HttpRequest, pk: int) -> Any:
    return get_or_404(reflections_visible_to(request.user).select_related("member"), pk=pk)


@login_required
@require_POST
def reflection_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """like / unlike / comment / feature / unfeature / hide / restore."""
    r = _visible(request, pk)
    try:
        if action in ("like", "unlike"):
            reflections.reflection_like(reflection=r, acting_user=request.user, like=action == "like")
        elif action == "comment":
            reflections.comment_add(reflection=r, acting_user=request.user, body=request.POST.get("body", ""))
        elif action in ("feature", "unfeature"):
            reflections.reflection_feature(reflection=r, featured=action == "feature", acting_user=request.user)
        elif action in ("hide", "restore"):
            reflections.reflection_moderate(
                reflection=r, hidden=action == "hide", reason=request.POST.get("reason", ""), acting_user=request.user
            )
        else:
            raise Http404
    except DomainError as exc:
        return refused(request, exc, reflection_detail, r.pk)
    return redirect("learning:reflection", pk=r.pk)


@login_required
@require_POST
def comment_action(request: HttpRequest, pk: int, comment: int, action: str) -> HttpResponse:
    """hide / restore one comment (the reflection's moderators only)."""
    r = _visible(request, pk)
    c = get_or_404(ReflectionComment.objects.filter(reflection=r), pk=comment)
    if action not in ("hide", "restore"):
        raise Http404
    try:
        reflections.comment_moderate(
            comment=c, hidden=action == "hide", reason=request.POST.get("reason", ""), acting_user=request.user
        )
    except DomainError as exc:
        return refused(request, exc, reflection_detail, r.pk)
    return redirect("learning:reflection", pk=r.pk)
