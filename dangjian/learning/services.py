"""Writes of the resource library and courses: add and edit (sanitised, checked uploads), submit, review, withdraw."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from typing import Any

import nh3
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import OrgRole
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.notices.services import notify
from dangjian.orgs.models import Org

from . import search, textseg, uploads
from .models import Category, Course, CourseItem, Dimension, KnowledgePoint, LearnerRole, Resource, Shared, Tag
from .selectors import STEP, ancestors, audience_can_see, can_author, can_edit, can_review

MAX_TAGS = 12
SANITIZE_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "span",
    "sub",
    "sup",
    "figure",
    "figcaption",
    "pre",
    "code",
}


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def sanitize_html(value: str) -> str:
    """Article HTML reduced to a safe subset: no scripts, styles, event handlers or javascript: links."""
    return nh3.clean(
        textseg.clean_text(value),
        tags=SANITIZE_TAGS,
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    ).strip()


def _names(values: Iterable[str] | str, field: str, max_length: int) -> list[str]:
    if isinstance(values, str):
        values = values.replace("，", ",").replace("、", ",").split(",")
    names = list(dict.fromkeys(textseg.clean_text(v).strip() for v in values if v and v.strip()))
    if len(names) > MAX_TAGS:
        raise _err(field, _("At most %(n)d entries.") % {"n": MAX_TAGS})
    for n in names:
        if len(n) > max_length:
            raise _err(field, _("“%(name)s” is longer than %(n)d characters.") % {"name": n[:20], "n": max_length})
    return names


def _roles(values: Iterable[str]) -> str:
    roles = [v for v in values if v]
    bad = [v for v in roles if v not in LearnerRole.values]
    if bad:
        raise _err("target_roles", _("Unknown role: %(r)s.") % {"r": ", ".join(bad)})
    return " ".join(r for r in LearnerRole.values if r in roles)


def _topic_tokens(resource: Resource, tags: list[str], points: list[str]) -> str:
    """The words recommendations compare: the title counts three times, then labels, summary and text."""
    text = " ".join(
        [resource.title] * 3
        + tags
        + points
        + [resource.summary, textseg.html_to_text(resource.body)[:4000], resource.transcript[:4000]]
    )
    return " ".join(textseg.topic_terms(text))


@transaction.atomic
def resource_save(
    *,
    acting_user: Any,
    org: Org,
    kind: str,
    title: str,
    resource: Resource | None = None,
    summary: str = "",
    body: str = "",
    transcript: str = "",
    upload: Any = None,
    duration: int | None = None,
    category: Category | None = None,
    tags: Iterable[str] | str = (),
    knowledge_points: Iterable[str] | str = (),
    target_roles: Iterable[str] = (),
    dimension: str = "",
    group_wide: bool = False,
) -> Resource:
    """Add a resource (a draft) or edit a draft: HTML sanitised, the file checked by content and size, its length
    probed when cheap (MP4/M4A header, constant-rate MP3, PDF pages, PPTX slides) or entered."""
    if not can_author(acting_user, org):
        raise _err("org", _("You cannot add resources for this organisation."))
    if resource is not None and (not can_edit(acting_user, resource) or not resource.editable):
        raise _err("status", _("Only a draft or a returned resource can be edited; withdraw it first."))
    if kind not in Resource.Kind.values:
        raise _err("kind", _("Unknown kind of resource."))
    if resource is not None and kind != resource.kind:
        raise _err("kind", _("The kind of a resource cannot change."))
    title = textseg.clean_text(title).strip()
    if not title or len(title) > 200:
        raise _err("title", _("Give a title of at most 200 characters."))
    if dimension and dimension not in Dimension.values:
        raise _err("dimension", _("Unknown dimension."))
    if duration is not None and not 0 <= duration <= 24 * 3600:
        raise _err("duration", _("The length must be between 0 and 24 hours."))
    body = sanitize_html(body) if kind == Resource.Kind.ARTICLE else ""
    if kind == Resource.Kind.ARTICLE and not textseg.html_to_text(body):
        raise _err("body", _("Write the article's text."))
    tag_names = _names(tags, "tags", 32)
    point_names = _names(knowledge_points, "knowledge_points", 64)
    sniffed = None
    if kind != Resource.Kind.ARTICLE:
        if upload is not None:
            sniffed = uploads.sniff(upload, kind)
        elif resource is None or not resource.file:
            raise _err("file", _("Choose a file."))
    r = resource or Resource(org=org, created_by=acting_user)
    r.org, r.org_path, r.kind, r.title = org, org.path, kind, title
    r.summary, r.body, r.transcript = textseg.clean_text(summary).strip()[:500], body, textseg.clean_text(transcript)
    r.category, r.dimension, r.target_roles, r.group_wide = category, dimension, _roles(target_roles), bool(group_wide)
    if sniffed is not None:
        ext = os.path.splitext(upload.name or "")[1].lower()[:8]
        r.file.save(f"{uuid.uuid4().hex}{ext}", upload, save=False)
        r.file_name, r.content_type, r.size = (
            os.path.basename(upload.name or "")[:200],
            sniffed.content_type,
            upload.size,
        )
    if duration:
        r.duration = duration
    elif sniffed is not None and sniffed.duration:
        r.duration = sniffed.duration
    elif kind == Resource.Kind.ARTICLE:
        r.duration = uploads.reading_seconds(textseg.html_to_text(body))
    if r.is_media and not r.duration:
        raise _err("duration", _("The length of this file could not be read: enter it in seconds."))
    r.tokens = _topic_tokens(r, tag_names, point_names)
    r.save()
    r.tags.set([Tag.objects.get_or_create(name=n)[0] for n in tag_names])
    r.knowledge_points.set(
        [KnowledgePoint.objects.get_or_create(name=n, defaults={"dimension": dimension})[0] for n in point_names]
    )
    search.index_resource(r, tags=tag_names, points=point_names)
    audit(
        acting_user,
        "learning.resource_edit" if resource else "learning.resource_add",
        r,
        org_path=r.org_path,
        after={"title": r.title, "kind": r.kind},
    )
    return r


# --- review: draft → pending → published (or returned) ----------------------------------------------


def _reviewers(item: Shared) -> list[Any]:
    target = item.org_path[:STEP] if item.group_wide else item.org_path
    roles = OrgRole.objects.filter(
        role=OrgRole.Role.COMMITTEE_ADMIN, ended_at__isnull=True, org__path__in=ancestors(target)
    )
    return [r.user for r in roles.select_related("user") if r.user_id != item.created_by_id]


def _url(item: Shared) -> str:
    return f"/learning/resources/{item.pk}/" if isinstance(item, Resource) else f"/learning/courses/{item.pk}/"


@transaction.atomic
def shared_submit(*, item: Shared, acting_user: Any) -> Shared:
    """Send a draft (resource or course) to review by a committee admin above its owner."""
    if not can_edit(acting_user, item):
        raise _err("status", _("You cannot submit this."))
    if not item.editable:
        raise _err("status", _("Only a draft or a returned item can be submitted."))
    if isinstance(item, Resource) and item.is_media and not (item.file and item.duration):
        raise _err("file", _("Add the media file and its length first."))
    if isinstance(item, Course) and not item.items.exists():
        raise _err("items", _("Add at least one resource to the course."))
    item.status, item.submitted_at = Shared.Status.PENDING, timezone.now()
    item.save(update_fields=["status", "submitted_at", "updated_at"])
    notify(
        recipients=_reviewers(item),
        title=_("To review: %(title)s") % {"title": str(item)},
        url=_url(item),
        kind="learning.review",
    )
    audit(
        acting_user,
        "learning.submit",
        item,
        org_path=item.org_path,
        after={"status": item.status, "group_wide": item.group_wide},
    )
    return item


@transaction.atomic
def shared_review(*, item: Shared, approve: bool, acting_user: Any, note: str = "") -> Shared:
    """Publish or return a submitted item. The reviewer governs the owner org (the whole group for group-wide
    sharing) and is not its author."""
    if not can_review(acting_user, item):
        if item.group_wide:
            raise _err(
                "group_wide", _("Only a committee administrator of the whole group can publish to the whole group.")
            )
        raise _err("status", _("You cannot review this."))
    if item.created_by_id == acting_user.pk:
        raise _err("status", _("Someone other than the author must review it."))
    if item.status != Shared.Status.PENDING:
        raise _err("status", _("Only a submitted item can be reviewed."))
    note = textseg.clean_text(note).strip()[:500]
    if not approve and not note:
        raise _err("note", _("Say what needs to change."))
    before = {"status": item.status}
    now = timezone.now()
    item.status = Shared.Status.PUBLISHED if approve else Shared.Status.REJECTED
    item.reviewed_by, item.reviewed_at, item.review_note = acting_user, now, note
    if approve:
        item.published_at = now
    item.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "published_at", "updated_at"])
    if item.created_by_id:
        title = _("Published: %(title)s") if approve else _("Returned for changes: %(title)s")
        notify(
            recipients=[item.created_by],
            title=title % {"title": str(item)},
            body=note,
            url=_url(item),
            kind="learning.reviewed",
        )
    audit(
        acting_user,
        "learning.review",
        item,
        org_path=item.org_path,
        before=before,
        after={"status": item.status, "note": note, "group_wide": item.group_wide},
    )
    return item


@transaction.atomic
def shared_withdraw(*, item: Shared, acting_user: Any) -> Shared:
    """Take a published or submitted item back to draft (to edit it, or to stop sharing it)."""
    if not (can_edit(acting_user, item) or can_review(acting_user, item)):
        raise _err("status", _("You cannot withdraw this."))
    if item.status not in (Shared.Status.PUBLISHED, Shared.Status.PENDING):
        raise _err("status", _("Only a published or submitted item can be withdrawn."))
    before = {"status": item.status}
    item.status = Shared.Status.DRAFT
    item.save(update_fields=["status", "updated_at"])
    audit(acting_user, "learning.withdraw", item, org_path=item.org_path, before=before, after={"status": item.status})
    return item


# --- courses --------------------------------------------------------------------------------------


@transaction.atomic
def course_save(
    *,
    acting_user: Any,
    org: Org,
    title: str,
    resources: list[Resource],
    course: Course | None = None,
    description: str = "",
    rule: str = Course.Rule.ALL,
    required_count: int = 0,
    required_minutes: int = 0,
    exam_id: int | None = None,
    dimension: str = "",
    target_roles: Iterable[str] = (),
    group_wide: bool = False,
) -> Course:
    """Add or edit a draft course: an ordered set of published resources its audience can see, and a rule."""
    if not can_author(acting_user, org):
        raise _err("org", _("You cannot add courses for this organisation."))
    if course is not None and (not can_edit(acting_user, course) or not course.editable):
        raise _err("status", _("Only a draft or a returned course can be edited; withdraw it first."))
    title = textseg.clean_text(title).strip()
    if not title or len(title) > 200:
        raise _err("title", _("Give a title of at most 200 characters."))
    if rule not in Course.Rule.values:
        raise _err("rule", _("Unknown completion rule."))
    if dimension and dimension not in Dimension.values:
        raise _err("dimension", _("Unknown dimension."))
    resources = list(dict.fromkeys(resources))
    if not resources:
        raise _err("resources", _("Choose at least one resource."))
    for r in resources:
        visible = audience_can_see(r.org_path, r.group_wide, org.path) and (
            not group_wide or r.group_wide or len(r.org_path) == STEP
        )
        if r.status != Resource.Status.PUBLISHED or not visible:
            raise _err(
                "resources", _("“%(title)s” is not published to everyone this course is for.") % {"title": r.title}
            )
    if rule == Course.Rule.COUNT and not 1 <= required_count <= len(resources):
        raise _err("required_count", _("Between 1 and the number of items."))
    if rule == Course.Rule.MINUTES and not 1 <= required_minutes <= 100_000:
        raise _err("required_minutes", _("Give the minutes to study."))
    if exam_id is not None and exam_id <= 0:
        raise _err("exam_id", _("Not an exam."))
    c = course or Course(org=org, created_by=acting_user)
    c.org, c.org_path, c.title, c.description = org, org.path, title, textseg.clean_text(description).strip()
    c.rule, c.required_count, c.required_minutes, c.exam_id = rule, required_count, required_minutes, exam_id
    c.dimension, c.target_roles, c.group_wide = dimension, _roles(target_roles), bool(group_wide)
    c.save()
    CourseItem.objects.filter(course=c).delete()
    CourseItem.objects.bulk_create([CourseItem(course=c, resource=r, position=i) for i, r in enumerate(resources)])
    audit(
        acting_user,
        "learning.course_edit" if course else "learning.course_add",
        c,
        org_path=c.org_path,
        after={"title": c.title, "items": [r.pk for r in resources], "rule": rule},
    )
    return c
