"""API for the phone and integrations: heartbeats, the library, search, recommendations, maps, courses, reflections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, orgs_visible_to

from . import maps, reflections, search, studytime
from .courses import course_progress
from .models import Dimension, Reflection, Resource, StudyProgress
from .recommend import recommend
from .selectors import can_moderate, courses_visible_to, reflections_visible_to, resources_for_study

router = Router(tags=["learning"])


def _member(request: HttpRequest) -> Any:
    member = getattr(request.user, "member", None)
    if member is None:
        raise DomainError(_("Only Party members study here."), status=404)
    return member


class HeartbeatIn(Schema):
    resource: int
    position: float = Field(ge=0, le=24 * 3600, allow_inf_nan=False)
    playing: bool
    visible: bool


class HeartbeatOut(Schema):
    credited_seconds: int
    total_seconds: int


@router.post("/heartbeat", response=HeartbeatOut, url_name="learning_heartbeat")
def heartbeat(request: HttpRequest, payload: HeartbeatIn) -> HeartbeatOut:
    """Sent every ~15 s while media plays and the page is visible. Credits at most the real time since the last
    accepted heartbeat (server clock), never for two streams at once, never beyond the media's remaining length."""
    member = _member(request)
    resource = get_or_404(resources_for_study(request.user).only("id", "duration", "kind"), pk=payload.resource)
    beat = studytime.heartbeat_record(
        member=member, resource=resource, position=payload.position, playing=payload.playing, visible=payload.visible
    )
    return HeartbeatOut(credited_seconds=beat.credited_seconds, total_seconds=beat.total_seconds)


class ProgressOut(Schema):
    position: float
    furthest: float
    seconds: int
    completed_at: dt.datetime | None


class ResourceOut(Schema):
    id: int
    kind: str
    title: str
    summary: str
    duration: int
    dimension: str
    category: str | None
    org_name: str
    published_at: dt.datetime | None
    progress: ProgressOut | None = None


class ResourceListOut(Schema):
    items: list[ResourceOut]
    count: int


class ResourceDetailOut(ResourceOut):
    body_html: str
    transcript: str
    media_url: str | None
    tags: list[str]


def _progress_out(p: StudyProgress | None) -> ProgressOut | None:
    return (
        ProgressOut(position=p.position, furthest=p.furthest, seconds=p.seconds, completed_at=p.completed_at)
        if p
        else None
    )


def _resource_out(r: Resource, p: StudyProgress | None = None) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "title": r.title,
        "summary": r.summary,
        "duration": r.duration,
        "dimension": r.dimension,
        "category": r.category.name if r.category_id and r.category else None,
        "org_name": r.org.name,
        "published_at": r.published_at,
        "progress": _progress_out(p),
    }


def _progress_map(request: HttpRequest, ids: list[int]) -> dict[int, StudyProgress]:
    member = getattr(request.user, "member", None)
    if member is None or not ids:
        return {}
    return {p.resource_id: p for p in StudyProgress.objects.filter(member=member, resource_id__in=ids)}


@router.get("/resources", response=ResourceListOut)
def resource_list(
    request: HttpRequest,
    kind: Resource.Kind | None = None,
    dimension: Dimension | None = None,
    category: int | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:  # type: ignore[type-arg]
    """Published resources the caller may study, newest first, with the caller's progress."""
    qs = resources_for_study(request.user).select_related("category", "org").order_by("-published_at", "-id")
    if kind:
        qs = qs.filter(kind=kind)
    if dimension:
        qs = qs.filter(dimension=dimension)
    if category:
        qs = qs.filter(category_id=category)
    start = (page - 1) * page_size
    rows = list(qs[start : start + page_size])
    progress = _progress_map(request, [r.pk for r in rows])
    return {"items": [_resource_out(r, progress.get(r.pk)) for r in rows], "count": qs.count()}


@router.get("/resources/{resource_id}", response=ResourceDetailOut)
def resource_detail(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    r = get_or_404(resources_for_study(request.user).select_related("category", "org"), pk=resource_id)
    out = _resource_out(r, _progress_map(request, [r.pk]).get(r.pk))
    media = reverse("learning:media", args=[r.pk]) if r.file else None
    return out | {
        "body_html": r.body,
        "transcript": r.transcript,
        "media_url": media,
        "tags": [t.name for t in r.tags.all()],
    }


class HitOut(Schema):
    id: int
    kind: str
    title: str
    title_html: str
    snippet_html: str
    rank: float


class SearchOut(Schema):
    items: list[HitOut]
    count: int
    more: bool = False  # more matches than ``count``: refine the words


@router.get("/search", response=SearchOut)
def search_resources(
    request: HttpRequest,
    q: str = Query("", max_length=200),
    page: int = Query(1, ge=1),  # type: ignore[type-arg]
    page_size: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:  # type: ignore[type-arg]
    """Chinese full-text search (jieba): every word must match; highlighted with <mark>. No words → no results."""
    hits, count = search.search(request.user, q, offset=(page - 1) * page_size, limit=page_size)
    more = count > search.COUNT_CAP
    return {
        "more": more,
        "count": min(count, search.COUNT_CAP),
        "items": [
            HitOut(
                id=h.resource.pk,
                kind=h.resource.kind,
                title=h.resource.title,
                title_html=h.title_html,
                snippet_html=h.snippet_html,
                rank=h.rank,
            )
            for h in hits
        ],
    }


class RecommendationOut(Schema):
    resource: ResourceOut
    reason: str


class RecommendationListOut(Schema):
    items: list[RecommendationOut]
    count: int


@router.get("/recommendations", response=RecommendationListOut)
def recommendations(request: HttpRequest, limit: int = Query(10, ge=1, le=30)) -> dict[str, Any]:  # type: ignore[type-arg]
    _member(request)
    recs = recommend(request.user, limit=limit)
    return {"items": [{"resource": _resource_out(r.resource), "reason": r.reason} for r in recs], "count": len(recs)}


class MapItemOut(Schema):
    resource_id: int
    title: str
    required: bool
    percent: int
    seconds: int
    done: bool


class MapDimensionOut(Schema):
    dimension: str
    label: str
    percent: int
    required_done: int
    required_total: int
    items: list[MapItemOut]


@router.get("/map", response=list[MapDimensionOut])
def my_map(request: HttpRequest) -> list[dict[str, Any]]:
    """The caller's learning map: the three dimensions with required and elective items and progress."""
    views = maps.member_map(_member(request))
    return [
        {
            "dimension": v.dimension,
            "label": v.label,
            "percent": v.percent,
            "required_done": v.required_done,
            "required_total": len(v.required),
            "items": [
                {
                    "resource_id": r.resource.pk,
                    "title": r.resource.title,
                    "required": r.required,
                    "percent": r.percent,
                    "seconds": r.seconds,
                    "done": r.done,
                }
                for r in v.rows
            ],
        }
        for v in views
    ]


class BranchRowOut(Schema):
    member_id: int
    name: str
    percent: int
    seconds: int
    completed: int
    by_dimension: dict[str, list[int]]


@router.get("/map/branch", response=list[BranchRowOut])
def branch_map(request: HttpRequest, org: int) -> list[dict[str, Any]]:
    """A branch's members and their required items done per dimension ([done, total]), for its secretary."""
    target = get_or_404(orgs_visible_to(request.user, "members.view"), pk=org)
    rows = maps.branch_map(org=target, acting_user=request.user)
    return [
        {
            "member_id": r.member.pk,
            "name": r.member.name,
            "percent": r.percent,
            "seconds": r.seconds,
            "completed": r.completed,
            "by_dimension": {d: list(v) for d, v in r.by_dimension.items()},
        }
        for r in rows
    ]


class CourseOut(Schema):
    id: int
    title: str
    rule: str
    percent: int
    complete: bool
    items: list[ResourceOut]


@router.get("/courses/{course_id}", response=CourseOut)
def course_detail(request: HttpRequest, course_id: int) -> dict[str, Any]:
    course = get_or_404(courses_visible_to(request.user).filter(status="published"), pk=course_id)
    cp = course_progress(getattr(request.user, "member", None), course)
    items = [_resource_out(i.resource, i.progress) for i in cp.items]
    return {
        "id": course.pk,
        "title": course.title,
        "rule": course.rule,
        "percent": cp.percent,
        "complete": cp.complete,
        "items": items,
    }


# The text field is "text", not "body": the API's error handler drops "body" from error locations.
class ReflectionIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=10_000)
    resource: int | None = None


class ReflectionOut(Schema):
    id: int
    title: str
    text: str
    author: str
    resource_id: int | None
    created_at: dt.datetime
    like_count: int
    comment_count: int
    featured: bool
    hidden: bool


class ReflectionListOut(Schema):
    items: list[ReflectionOut]
    count: int


def _reflection_out(r: Reflection) -> ReflectionOut:
    return ReflectionOut(
        id=r.pk,
        title=r.title,
        text=r.body,
        author=r.member.name,
        resource_id=r.resource_id,
        created_at=r.created_at,
        like_count=r.like_count,
        comment_count=r.comment_count,
        featured=r.featured_at is not None,
        hidden=r.hidden_at is not None,
    )


@router.get("/reflections", response=ReflectionListOut)
def reflection_list(
    request: HttpRequest,
    resource: int | None = None,
    featured: bool = False,
    page: int = Query(1, ge=1),  # type: ignore[type-arg]
    page_size: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:  # type: ignore[type-arg]
    qs = reflections_visible_to(request.user).select_related("member").order_by("-created_at", "-id")
    if resource is not None:
        qs = qs.filter(resource=get_or_404(resources_for_study(request.user), pk=resource))
    if featured:
        qs = qs.filter(featured_at__isnull=False)
    start = (page - 1) * page_size
    return {"items": [_reflection_out(r) for r in qs[start : start + page_size]], "count": qs.count()}


@router.post("/reflections", response={201: ReflectionOut})
def reflection_create(request: HttpRequest, payload: ReflectionIn) -> Status[ReflectionOut]:
    _member(request)
    res = get_or_404(resources_for_study(request.user), pk=payload.resource) if payload.resource is not None else None
    r = reflections.reflection_write(acting_user=request.user, title=payload.title, body=payload.text, resource=res)
    return Status(201, _reflection_out(Reflection.objects.select_related("member").get(pk=r.pk)))


class LikeIn(Schema):
    like: bool = True


class LikeOut(Schema):
    like_count: int


@router.post("/reflections/{reflection_id}/like", response=LikeOut)
def reflection_like(request: HttpRequest, reflection_id: int, payload: LikeIn) -> LikeOut:
    r = get_or_404(reflections_visible_to(request.user), pk=reflection_id)
    return LikeOut(like_count=reflections.reflection_like(reflection=r, acting_user=request.user, like=payload.like))


class CommentIn(Schema):
    text: str = Field(min_length=1, max_length=1000)


class CommentOut(Schema):
    id: int
    text: str
    author: str
    created_at: dt.datetime


@router.post("/reflections/{reflection_id}/comments", response={201: CommentOut})
def comment_create(request: HttpRequest, reflection_id: int, payload: CommentIn) -> Status[CommentOut]:
    r = get_or_404(reflections_visible_to(request.user), pk=reflection_id)
    c = reflections.comment_add(reflection=r, acting_user=request.user, body=payload.text)
    return Status(201, CommentOut(id=c.pk, text=c.body, author=c.member.name, created_at=c.created_at))


class ModerateIn(Schema):
    hidden: bool
    reason: str = Field(default="", max_length=200)


@router.post("/reflections/{reflection_id}/moderate", response=ReflectionOut)
def reflection_moderate(request: HttpRequest, reflection_id: int, payload: ModerateIn) -> ReflectionOut:
    r = get_or_404(reflections_visible_to(request.user).select_related("member"), pk=reflection_id)
    if not can_moderate(request.user, r):
        raise DomainError(_("Not found."), status=404)
    reflections.reflection_moderate(
        reflection=r, hidden=payload.hidden, reason=payload.reason, acting_user=request.user
    )
    return _reflection_out(r)
