"""Web screens for those who run learning: add and edit resources (uploads), submit and review, courses, maps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.errors import form_add_domain_error as _apply_errors
from dangjian.core.scoping import get_or_404, orgs_visible_to
from dangjian.orgs.models import Org

from . import maps, services, views
from .models import Category, Course, Dimension, LearnerRole, LearningMap, MapItem, Resource
from .selectors import (
    authoring_orgs,
    can_edit,
    courses_visible_to,
    resources_for_study,
    resources_visible_to,
    review_queue,
)


def refused(request: HttpRequest, exc: DomainError, page: Any, pk: int) -> HttpResponse:
    """A refused action: the page it came from again, with the reason, answering 400 (or the error's status)."""
    if exc.status == 404:
        raise Http404
    messages.error(request, exc.message)
    response: HttpResponse = page(request, pk)
    response.status_code = exc.status
    return response


def _authoring_orgs(user: Any) -> Any:
    return authoring_orgs(user).filter(ended_at__isnull=True).order_by("path")


class ResourceForm(forms.Form):
    org = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=Org.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Resource.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("Summary"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label=gettext_lazy("Text (articles)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("HTML paragraphs, headings, lists, tables, links and images; anything else is removed."),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        required=False,
        help_text=gettext_lazy("Video MP4/WebM, audio MP3/M4A/WAV, PDF or PPTX; checked by content."),
    )
    duration = forms.IntegerField(
        label=gettext_lazy("Length in seconds"),
        required=False,
        min_value=0,
        max_value=24 * 3600,
        help_text=gettext_lazy("Read from the file when possible; needed for WebM."),
    )
    transcript = forms.CharField(
        label=gettext_lazy("Transcript"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ModelChoiceField(label=gettext_lazy("Category"), queryset=Category.objects.all(), required=False)
    dimension = forms.ChoiceField(
        label=gettext_lazy("Dimension"), choices=[("", "—"), *Dimension.choices], required=False
    )
    target_roles = forms.MultipleChoiceField(
        label=gettext_lazy("For"), choices=LearnerRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"), required=False, max_length=400, help_text=gettext_lazy("Separate with commas.")
    )
    knowledge_points = forms.CharField(label=gettext_lazy("Knowledge points"), required=False, max_length=800)
    group_wide = forms.BooleanField(
        label=gettext_lazy("Publish to the whole group (reviewed by the group's committee)"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _authoring_orgs(user)  # type: ignore[attr-defined]


def _resource_fields(r: Resource) -> dict[str, Any]:
    return {
        "org": r.org_id,
        "kind": r.kind,
        "title": r.title,
        "summary": r.summary,
        "body": r.body,
        "duration": r.duration,
        "transcript": r.transcript,
        "category": r.category_id,
        "dimension": r.dimension,
        "target_roles": r.roles,
        "tags": ", ".join(r.tags.values_list("name", flat=True)),
        "group_wide": r.group_wide,
        "knowledge_points": ", ".join(r.knowledge_points.values_list("name", flat=True)),
    }


@login_required
def resource_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a resource, or edit a draft."""
    resource = get_or_404(resources_visible_to(request.user), pk=pk) if pk is not None else None
    if resource is not None and not can_edit(request.user, resource):
        raise Http404
    if not _authoring_orgs(request.user).exists():
        raise Http404
    form = ResourceForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial=_resource_fields(resource) if resource else None,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.resource_save(
                acting_user=request.user,
                resource=resource,
                org=d["org"],
                kind=d["kind"],
                title=d["title"],
                summary=d["summary"],
                body=d["body"],
                transcript=d["transcript"],
                upload=d["file"],
                duration=d["duration"],
                category=d["category"],
                tags=d["tags"],
                knowledge_points=d["knowledge_points"],
                target_roles=d["target_roles"],
                dimension=d["dimension"],
                group_wide=d["group_wide"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved as a draft. Submit it for review to publish it."))
            return redirect("learning:resource", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "learning/resource_form.html", {"form": form, "resource": resource}, status=status)


def _shared_item(request: HttpRequest, kind: str, pk: int) -> Any:
    qs = resources_visible_to(request.user) if kind == "resource" else courses_visible_to(request.user)
    return get_or_404(qs.select_related("created_by"), pk=pk)


@login_required
@require_POST
def shared_action(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    """submit / approve / reject / withdraw a resource or a course."""
    item = _shared_item(request, kind, pk)
    target = "learning:resource" if kind == "resource" else "learning:course"
    try:
        if action == "submit":
            services.shared_submit(item=item, acting_user=request.user)
            messages.success(request, _("Submitted for review."))
        elif action in ("approve", "reject"):
            services.shared_review(
                item=item, approve=action == "approve", note=request.POST.get("note", ""), acting_user=request.user
            )
            messages.success(request, _("Published.") if action == "approve" else _("Returned to the author."))
        elif action == "withdraw":
            services.shared_withdraw(item=item, acting_user=request.user)
            messages.success(request, _("Withdrawn to draft."))
        else:
            raise Http404
    except DomainError as exc:
        return refused(request, exc, views.resource_detail if kind == "resource" else views.course_detail, item.pk)
    return redirect(target, pk=item.pk)


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """The committee admin's queue: resources and courses submitted in their subtree."""
    resources = list(review_queue(request.user).select_related("org", "created_by").order_by("submitted_at")[:100])
    courses = list(
        courses_visible_to(request.user)
        .filter(status=Course.Status.PENDING)
        .select_related("org")
        .order_by("submitted_at")[:100]
    )
    if not resources and not courses and not orgs_visible_to(request.user, "orgs.manage").exists():
        raise Http404
    return render(request, "learning/review.html", {"resources": resources, "courses": courses})


class CourseForm(forms.Form):
    org = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=Org.objects.none())
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    resources = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Resources, in order"),
        queryset=Resource.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    rule = forms.ChoiceField(label=gettext_lazy("Completion rule"), choices=Course.Rule.choices)
    required_count = forms.IntegerField(
        label=gettext_lazy("Items to complete"), required=False, min_value=0, max_value=500
    )
    required_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes to study"), required=False, min_value=0, max_value=100_000
    )
    exam_id = forms.IntegerField(label=gettext_lazy("Quiz (exam id, optional)"), required=False, min_value=1)
    dimension = forms.ChoiceField(
        label=gettext_lazy("Dimension"), choices=[("", "—"), *Dimension.choices], required=False
    )
    target_roles = forms.MultipleChoiceField(
        label=gettext_lazy("For"), choices=LearnerRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    group_wide = forms.BooleanField(label=gettext_lazy("Publish to the whole group"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _authoring_orgs(user)  # type: ignore[attr-defined]
        self.fields["resources"].queryset = resources_for_study(user).order_by("-published_at")  # type: ignore[attr-defined]


@login_required
def course_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    course = get_or_404(courses_visible_to(request.user), pk=pk) if pk is not None else None
    if (course is not None and not can_edit(request.user, course)) or not _authoring_orgs(request.user).exists():
        raise Http404
    initial = None
    if course is not None:
        initial = {
            "org": course.org_id,
            "title": course.title,
            "description": course.description,
            "rule": course.rule,
            "required_count": course.required_count,
            "required_minutes": course.required_minutes,
            "exam_id": course.exam_id,
            "dimension": course.dimension,
            "target_roles": course.roles,
            "group_wide": course.group_wide,
            "resources": [i.resource_id for i in course.items.all()],
        }
    form = CourseForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        order = [int(x) for x in request.POST.getlist("resources") if x.isdigit()]
        chosen = sorted(d["resources"], key=lambda r: order.index(r.pk) if r.pk in order else 0)
        try:
            saved = services.course_save(
                acting_user=request.user,
                course=course,
                org=d["org"],
                title=d["title"],
                resources=chosen,
                description=d["description"],
                rule=d["rule"],
                required_count=d["required_count"] or 0,
                required_minutes=d["required_minutes"] or 0,
                exam_id=d["exam_id"],
                dimension=d["dimension"],
                target_roles=d["target_roles"],
                group_wide=d["group_wide"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Course saved as a draft."))
            return redirect("learning:course", pk=saved.pk)
    return render(
        request,
        "learning/course_form.html",
        {"form": form, "course": course},
        status=400 if request.method == "POST" else 200,
    )


# --- learning maps ----------------------------------------------------------------------------------------


class MapForm(forms.Form):
    org = forms.ModelChoiceField(label=gettext_lazy("Organisation"), queryset=Org.objects.none())
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=LearnerRole.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = (  # type: ignore[attr-defined]
            orgs_visible_to(user, "members.manage").filter(ended_at__isnull=True).order_by("path")
        )


class MapItemForm(forms.Form):
    resource = forms.ModelChoiceField(label=gettext_lazy("Resource"), queryset=Org.objects.none())
    dimension = forms.ChoiceField(label=gettext_lazy("Dimension"), choices=Dimension.choices)
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False, initial=True)
    post = forms.CharField(label=gettext_lazy("Only for the post (optional)"), max_length=64, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources_for_study(user).order_by("-published_at")  # type: ignore[attr-defined]


def _maps_managed(user: Any) -> Any:
    orgs = orgs_visible_to(user, "members.manage")
    return LearningMap.objects.filter(org__in=orgs)


@login_required
def map_list(request: HttpRequest) -> HttpResponse:
    if not orgs_visible_to(request.user, "members.manage").exists():
        raise Http404
    form = MapForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            lm = maps.map_save(
                org=form.cleaned_data["org"],
                role=form.cleaned_data["role"],
                title=form.cleaned_data["title"],
                acting_user=request.user,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("learning:map_detail", pk=lm.pk)
    rows = _maps_managed(request.user).select_related("org").order_by("org_path", "role")
    return render(
        request, "learning/maps.html", {"form": form, "maps": rows}, status=400 if request.method == "POST" else 200
    )


@login_required
def map_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lm = get_or_404(_maps_managed(request.user).select_related("org"), pk=pk)
    form = MapItemForm(request.POST or None, user=request.user, initial={"required": True})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            maps.map_item_set(
                learning_map=lm,
                resource=d["resource"],
                dimension=d["dimension"],
                required=d["required"],
                post=d["post"],
                acting_user=request.user,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Added to the map."))
            return redirect("learning:map_detail", pk=lm.pk)
    items = lm.items.select_related("resource").order_by("dimension", "-required", "position")
    return render(
        request,
        "learning/map_detail.html",
        {"map": lm, "items": items, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def map_item_remove(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    lm = get_or_404(_maps_managed(request.user), pk=pk)
    it = get_or_404(MapItem.objects.filter(map=lm), pk=item)
    maps.map_item_remove(item=it, acting_user=request.user)
    return redirect("learning:map_detail", pk=lm.pk)
