"""Reflections (学习心得): written by members on what they studied, featured by secretaries, liked and commented
on by the branch; secretaries hide and restore reflections and comments (audited)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.notices.services import notify
from dangjian.orgs.models import Member

from . import textseg
from .models import Reflection, ReflectionComment, ReflectionLike, Resource, StudyProgress
from .selectors import can_moderate

MAX_BODY = 10_000


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def _member_of(user: Any) -> Member:
    member = getattr(user, "member", None)
    if member is None:
        raise DomainError(_("Only Party members write reflections."), status=404)
    return member


@transaction.atomic
def reflection_write(*, acting_user: Any, title: str, body: str, resource: Resource | None = None) -> Reflection:
    """A member's reflection, on a resource they have studied (or on their study in general)."""
    member = _member_of(acting_user)
    title, body = textseg.clean_text(title).strip(), textseg.clean_text(body).strip()
    if not title or len(title) > 200:
        raise _err("title", _("Give a title of at most 200 characters."))
    if len(body) < 10 or len(body) > MAX_BODY:
        raise _err("body", _("Write between 10 and %(n)d characters.") % {"n": MAX_BODY})
    if (
        resource is not None
        and not StudyProgress.objects.filter(member=member, resource=resource, study_ms__gt=0).exists()
    ):
        raise _err("resource", _("Study this resource before writing about it."))
    r = Reflection.objects.create(
        member=member, org_id=member.org_id, org_path=member.org_path, resource=resource, title=title, body=body
    )
    return r


@transaction.atomic
def reflection_feature(*, reflection: Reflection, featured: bool, acting_user: Any) -> Reflection:
    if not can_moderate(acting_user, reflection):
        raise DomainError(_("Not found."), status=404)
    if featured and reflection.hidden_at:
        raise _err("featured", _("A hidden reflection cannot be featured."))
    before = {"featured": reflection.featured_at is not None}
    reflection.featured_at, reflection.featured_by = (timezone.now(), acting_user) if featured else (None, None)
    reflection.save(update_fields=["featured_at", "featured_by"])
    if featured and reflection.member.user_id:
        notify(
            recipients=[reflection.member.user],
            title=_("Your reflection “%(title)s” was featured") % {"title": reflection.title},
            url=f"/learning/reflections/{reflection.pk}/",
            kind="learning.featured",
        )
    audit(
        acting_user,
        "learning.reflection_feature",
        reflection,
        org_path=reflection.org_path,
        before=before,
        after={"featured": featured},
    )
    return reflection


def _moderate(
    obj: Reflection | ReflectionComment, *, hidden: bool, reason: str, acting_user: Any, action: str, org_path: str
) -> None:
    reason = textseg.clean_text(reason).strip()[:200]
    if hidden and not reason:
        raise _err("reason", _("Give the reason for hiding it."))
    before = {"hidden": obj.hidden_at is not None, "reason": obj.hidden_reason}
    obj.hidden_at, obj.hidden_by, obj.hidden_reason = (
        (timezone.now(), acting_user, reason) if hidden else (None, None, "")
    )
    fields = ["hidden_at", "hidden_by", "hidden_reason"]
    if isinstance(obj, Reflection) and hidden:
        obj.featured_at, obj.featured_by = None, None
        fields += ["featured_at", "featured_by"]
    obj.save(update_fields=fields)
    audit(acting_user, action, obj, org_path=org_path, before=before, after={"hidden": hidden, "reason": reason})


@transaction.atomic
def reflection_moderate(*, reflection: Reflection, hidden: bool, acting_user: Any, reason: str = "") -> Reflection:
    """Hide a reflection from the branch (its author still sees it, with the reason) or restore it."""
    if not can_moderate(acting_user, reflection):
        raise DomainError(_("Not found."), status=404)
    _moderate(
        reflection,
        hidden=hidden,
        reason=reason,
        acting_user=acting_user,
        action="learning.reflection_hide" if hidden else "learning.reflection_restore",
        org_path=reflection.org_path,
    )
    return reflection


@transaction.atomic
def comment_moderate(
    *, comment: ReflectionComment, hidden: bool, acting_user: Any, reason: str = ""
) -> ReflectionComment:
    reflection = comment.reflection
    if not can_moderate(acting_user, reflection):
        raise DomainError(_("Not found."), status=404)
    was_hidden = comment.hidden_at is not None
    _moderate(
        comment,
        hidden=hidden,
        reason=reason,
        acting_user=acting_user,
        action="learning.comment_hide" if hidden else "learning.comment_restore",
        org_path=reflection.org_path,
    )
    if was_hidden != hidden:
        Reflection.objects.filter(pk=reflection.pk).update(comment_count=F("comment_count") + (-1 if hidden else 1))
    return comment


@transaction.atomic
def reflection_like(*, reflection: Reflection, acting_user: Any, like: bool = True) -> int:
    """Like (or unlike) once per member; returns the new count."""
    member = _member_of(acting_user)
    if reflection.hidden_at:
        raise _err("reflection", _("This reflection is hidden."))
    if like:
        try:
            with transaction.atomic():
                ReflectionLike.objects.create(reflection=reflection, member=member)
        except IntegrityError:
            pass
        else:
            Reflection.objects.filter(pk=reflection.pk).update(like_count=F("like_count") + 1)
    elif ReflectionLike.objects.filter(reflection=reflection, member=member).delete()[0]:
        Reflection.objects.filter(pk=reflection.pk).update(like_count=F("like_count") - 1)
    return Reflection.objects.values_list("like_count", flat=True).get(pk=reflection.pk)


@transaction.atomic
def comment_add(*, reflection: Reflection, acting_user: Any, body: str) -> ReflectionComment:
    member = _member_of(acting_user)
    if reflection.hidden_at:
        raise _err("reflection", _("This reflection is hidden."))
    body = textseg.clean_text(body).strip()
    if not body or len(body) > 1000:
        raise _err("body", _("Write a comment of at most 1000 characters."))
    comment = ReflectionComment.objects.create(reflection=reflection, member=member, body=body)
    Reflection.objects.filter(pk=reflection.pk).update(comment_count=F("comment_count") + 1)
    author = reflection.member
    if author.user_id and author.pk != member.pk:
        notify(
            recipients=[author.user],
            title=_("%(name)s commented on “%(title)s”") % {"name": member.name, "title": reflection.title},
            url=f"/learning/reflections/{reflection.pk}/",
            kind="learning.comment",
        )
    return comment
