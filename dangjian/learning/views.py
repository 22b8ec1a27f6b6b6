"""Web screens of learning for members: the library, a resource with its player, search, my learning map, the
branch's map for its secretary, courses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dangjian.core.media import ranged_file_response
from dangjian.core.scoping import get_or_404, is_global_admin, orgs_visible_to, scope_paths
from dangjian.orgs.models import Org

from . import maps, search
from .courses import course_progress
from .models import Category, Dimension, Resource, StudyProgress
from .recommend import recommend
from .selectors import (
    can_edit,
    can_review,
    courses_visible_to,
    reflections_visible_to,
    resources_for_study,
    resources_visible_to,
)

PAGE_SIZE = 20
RECS_SECONDS = 600


class LibraryFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Resource.Kind.choices], required=False)
    dimension = forms.ChoiceField(
        label=_("Dimension"), choices=[("", _("All dimensions")), *Dimension.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("All categories")
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def can_manage(user: Any) -> bool:
    """Holds a role somewhere (authors resources, sets maps, reviews): the management links show."""
    return is_global_admin(user) or bool(scope_paths(user, "orgs.view"))


def _progress_for(request: HttpRequest, ids: list[int]) -> dict[int, StudyProgress]:
    member = getattr(request.user, "member", None)
    if member is None or not ids:
        return {}
    return {p.resource_id: p for p in StudyProgress.objects.filter(member=member, resource_id__in=ids)}


def cached_recommendations(request: HttpRequest, limit: int = 6) -> list[Any]:
    """Recommendations, kept ten minutes in the shared cache; visibility is checked again on every read."""
    member = getattr(request.user, "member", None)
    if member is None:
        return []
    key = f"learning:recs:{member.pk}:{get_language()}"  # the reasons are sentences in the user's language
    cached = cache.get(key)
    if cached is None:
        cached = [(r.resource.pk, str(r.reason)) for r in recommend(request.user, limit=limit)]
        cache.set(key, cached, RECS_SECONDS)
    visible = resources_for_study(request.user).select_related("category").in_bulk([rid for rid, _r in cached])
    return [(visible[rid], reason) for rid, reason in cached if rid in visible]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The library: continue where you left off, recommendations, and every resource you may study."""
    form = LibraryFilter(request.GET or None)
    status = 200
    qs = resources_for_study(request.user).select_related("category").order_by("-published_at", "-id")
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        data = form.cleaned_data
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["dimension"]:
            qs = qs.filter(dimension=data["dimension"])
        if data["category"]:
            qs = qs.filter(category=data["category"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    progress = _progress_for(request, [r.pk for r in page.object_list])
    member = getattr(request.user, "member", None)
    current = []
    if member is not None:
        current = list(
            StudyProgress.objects.filter(
                member=member, completed_at__isnull=True, resource__status=Resource.Status.PUBLISHED
            )
            .select_related("resource")
            .order_by("-last_studied_at", "-started_at")[:3]
        )
    filtered = form.is_bound and any(form.data.get(k) for k in ("kind", "dimension", "category"))
    context = {
        "form": form,
        "page_obj": page,
        "rows": [(r, progress.get(r.pk)) for r in page.object_list],
        "current": current,
        "recommendations": [] if filtered else cached_recommendations(request),
        "querystring": _without_page(request),
        "search_form": SearchForm(),
        "can_manage": can_manage(request.user),
    }
    return render(request, "learning/home.html", context, status=status)


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_or_404(resources_visible_to(request.user).select_related("org", "category", "created_by"), pk=pk)
    member = getattr(request.user, "member", None)
    progress = StudyProgress.objects.filter(member=member, resource=resource).first() if member is not None else None
    studies = member is not None and resource.status == Resource.Status.PUBLISHED
    context = {
        "resource": resource,
        "progress": progress,
        "studies": studies,
        "tags": list(resource.tags.all()),
        "points": list(resource.knowledge_points.all()),
        "editable": can_edit(request.user, resource),
        "reviewable": can_review(request.user, resource) and resource.created_by_id != request.user.pk,
        "reflections": list(
            reflections_visible_to(request.user)
            .filter(resource=resource, hidden_at__isnull=True)
            .select_related("member")
            .order_by("-featured_at", "-created_at")[:10]
        ),
        "can_reflect": bool(progress and progress.study_ms > 0),
        "resume": progress.position if progress and not progress.completed_at else 0,
        "interval": int(getattr(settings, "LEARNING_HEARTBEAT_SECONDS", 15)),
    }
    return render(request, "learning/resource.html", context)


@login_required
def media(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The resource's file with Range support (seeking on phones), only for those who may see the resource."""
    resource = get_or_404(
        resources_visible_to(request.user).only(
            "id", "file", "content_type", "org_path", "status", "group_wide", "created_by_id"
        ),
        pk=pk,
    )
    if not resource.file:
        raise Http404
    try:
        path = Path(resource.file.path)
    except (ValueError, NotImplementedError):
        raise Http404 from None
    if not path.is_file():
        raise Http404
    response = ranged_file_response(request, path, content_type=resource.content_type or None)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    hits: list[Any] = []
    count, page_number = 0, 1
    if form.is_bound and not form.is_valid():
        return render(request, "learning/search.html", {"form": form, "hits": [], "count": 0}, status=400)
    q = form.cleaned_data.get("q", "") if form.is_bound else ""
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    if q:
        hits, count = search.search(request.user, q, offset=(page_number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    more = count > search.COUNT_CAP
    count = min(count, search.COUNT_CAP)
    pages = max(1, -(-count // PAGE_SIZE))
    return render(
        request,
        "learning/search.html",
        {
            "form": form,
            "q": q,
            "hits": hits,
            "count": count,
            "more": more,
            "page": page_number,
            "pages": pages,
            "prev_q": urlencode({"q": q, "page": page_number - 1}),
            "next_q": urlencode({"q": q, "page": page_number + 1}),
        },
    )


def _member_or_404(request: HttpRequest) -> Any:
    member = getattr(request.user, "member", None)
    if member is None:
        raise Http404
    return member


@login_required
def my_map(request: HttpRequest) -> HttpResponse:
    member = _member_or_404(request)
    views = maps.member_map(member)
    required = sum(len(v.required) for v in views)
    done = sum(v.required_done for v in views)
    return render(
        request,
        "learning/map.html",
        {
            "views": views,
            "required": required,
            "done": done,
            "can_manage": can_manage(request.user),
            "percent": round(100 * done / required) if required else 100,
        },
    )


class BranchForm(forms.Form):
    org = forms.ModelChoiceField(label=_("Branch"), queryset=Org.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = (  # type: ignore[attr-defined]
            orgs_visible_to(user, "members.view")
            .filter(kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH], ended_at__isnull=True)
            .order_by("path")
        )


@login_required
def branch_map(request: HttpRequest) -> HttpResponse:
    """A branch's learning map: every member's required items done per dimension, for its secretary."""
    form = BranchForm(request.GET or None, user=request.user)
    choices = form.fields["org"].queryset  # type: ignore[attr-defined]
    if form.is_bound and not form.is_valid():
        if str(request.GET.get("org", "")).isdigit():
            raise Http404  # an org outside the user's scope is not found, like one that does not exist
        return render(request, "learning/branch_map.html", {"form": form, "rows": []}, status=400)
    org = (form.cleaned_data.get("org") if form.is_bound else None) or choices.first()
    if org is None:
        raise Http404
    if not form.is_bound:
        form = BranchForm(initial={"org": org.pk}, user=request.user)
    rows = maps.branch_map(org=org, acting_user=request.user)
    dims = [(d, label) for d, label in Dimension.choices]
    table = [(r, [r.by_dimension[d] for d, _l in dims]) for r in rows]
    return render(
        request, "learning/branch_map.html", {"form": form, "org": org, "table": table, "dims": dims, "rows": rows}
    )


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    qs = (
        courses_visible_to(request.user)
        .filter(status="published")
        .select_related("org")
        .order_by("-published_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    drafts = courses_visible_to(request.user).exclude(status="published").order_by("-updated_at")[:20]
    return render(
        request,
        "learning/courses.html",
        {"page_obj": page, "drafts": drafts, "querystring": "", "can_manage": can_manage(request.user)},
    )


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    course = get_or_404(courses_visible_to(request.user).select_related("org"), pk=pk)
    cp = course_progress(getattr(request.user, "member", None), course)
    return render(
        request,
        "learning/course.html",
        {
            "course": course,
            "cp": cp,
            "editable": can_edit(request.user, course),
            "reviewable": can_review(request.user, course) and course.created_by_id != request.user.pk,
        },
    )
