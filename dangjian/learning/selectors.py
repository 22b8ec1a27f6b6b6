"""Reads of learning through core.scoping: which resources, courses and reflections a user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core.scoping import has_org_perm, is_global_admin, path_q, scope_paths
from dangjian.orgs.models import Membership, Org

from .models import Course, Reflection, Resource, Shared

STEP = Org.steplen
_BELONG_ATTR = "_dangjian_learning_paths"
BRANCH_KINDS = (Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH)


def ancestors(path: str) -> list[str]:
    """The path itself and every ancestor's path (materialized path, fixed step)."""
    return [path[:i] for i in range(STEP, len(path) + 1, STEP)]


def belong_paths(user: Any) -> list[str]:
    """Org paths the user belongs to: the primary branch, extra (cloud, temporary) memberships, roles held."""
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, _BELONG_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    paths = set(scope_paths(user, "orgs.view"))
    member = getattr(user, "member", None)
    if member is not None:
        paths.add(member.org_path)
        paths.update(
            Membership.objects.filter(member=member, ended_on__isnull=True).values_list("org__path", flat=True)
        )
    result = sorted(paths)
    setattr(user, _BELONG_ATTR, result)
    return result


def _shared_q(user: Any) -> Q:
    """Published items shared down the tree to where the user belongs, or with the user's whole group."""
    belong = belong_paths(user)
    if not belong:
        return Q(pk__in=[])
    above = sorted({a for p in belong for a in ancestors(p)})
    roots = sorted({p[:STEP] for p in belong})
    return Q(status=Shared.Status.PUBLISHED) & (Q(org_path__in=above) | (Q(group_wide=True) & path_q(roots)))


def _visible(model: Any, user: Any) -> QuerySet[Any]:
    if is_global_admin(user):
        return model.objects.all()  # type: ignore[no-any-return]
    if not user or not user.is_authenticated:
        return model.objects.none()  # type: ignore[no-any-return]
    # Anyone holding a role sees every item of their subtree (drafts included: they author and review them).
    q = path_q(scope_paths(user, "orgs.view")) | _shared_q(user) | Q(created_by=user)
    return model.objects.filter(q)  # type: ignore[no-any-return]


def resources_visible_to(user: Any) -> QuerySet[Resource]:
    return _visible(Resource, user)


def resources_for_study(user: Any) -> QuerySet[Resource]:
    """Published resources the user may study (the library, search, recommendations)."""
    return resources_visible_to(user).filter(status=Resource.Status.PUBLISHED)


def courses_visible_to(user: Any) -> QuerySet[Course]:
    return _visible(Course, user)


def can_author(user: Any, org: Org) -> bool:
    """Committee admins, secretaries and Party-affairs workers add resources for the orgs they govern."""
    return has_org_perm(user, org, "orgs.view")


def authoring_orgs(user: Any) -> QuerySet[Org]:
    """Orgs where the user holds a role (their own branch as a plain member does not count)."""
    if is_global_admin(user):
        return Org.objects.all()
    return Org.objects.filter(path_q(scope_paths(user, "orgs.view"), "path"))


def can_edit(user: Any, item: Shared) -> bool:
    return governs(user, item.org_path, "orgs.view") or (
        item.created_by_id is not None and item.created_by_id == user.pk
    )


def can_review(user: Any, item: Shared) -> bool:
    """A committee admin whose subtree holds the owner org (the whole group's, for group-wide sharing)."""
    target = item.org_path[:STEP] if item.group_wide else item.org_path
    if is_global_admin(user):
        return True
    return any(target.startswith(p) for p in scope_paths(user, "orgs.manage"))


def review_queue(user: Any) -> QuerySet[Resource]:
    if is_global_admin(user):
        return Resource.objects.filter(status=Shared.Status.PENDING)
    return Resource.objects.filter(path_q(scope_paths(user, "orgs.manage")), status=Shared.Status.PENDING)


def audience_can_see(item_path: str, item_group_wide: bool, audience_path: str) -> bool:
    """Whether everyone under ``audience_path`` sees a published item owned at ``item_path``."""
    return audience_path.startswith(item_path) or (item_group_wide and audience_path[:STEP] == item_path[:STEP])


# --- reflections ---------------------------------------------------------------------------------


def branch_path_of(org_path: str) -> str:
    """The nearest branch (or general branch) at or above an org: what "the member's branch" means."""
    row = (
        Org.objects.filter(path__in=ancestors(org_path), kind__in=BRANCH_KINDS)
        .order_by("-depth")
        .values_list("path", flat=True)
        .first()
    )
    return row or org_path


def reflections_visible_to(user: Any) -> QuerySet[Reflection]:
    """A member sees the reflections of their branch (hidden ones only if their own); a role holder their subtree."""
    if is_global_admin(user):
        return Reflection.objects.all()
    if not user or not user.is_authenticated:
        return Reflection.objects.none()
    q = path_q(scope_paths(user, "orgs.view"))
    member = getattr(user, "member", None)
    if member is not None:
        q |= Q(member=member)
        q |= Q(org_path__startswith=branch_path_of(member.org_path), hidden_at__isnull=True)
    return Reflection.objects.filter(q)


def governs(user: Any, org_path: str, perm: str) -> bool:
    """``has_org_perm`` on a path already at hand (no query for the org)."""
    return is_global_admin(user) or any(org_path.startswith(p) for p in scope_paths(user, perm))


def can_moderate(user: Any, reflection: Reflection) -> bool:
    """Secretaries and committee admins governing the reflection's org feature, hide and restore."""
    return governs(user, reflection.org_path, "members.manage")
