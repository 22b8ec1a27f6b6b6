"""Who sees what. Every list and fetch of records goes through here with the requesting user.

A role held at an org (committee admin, secretary, Party-affairs worker) covers that org's subtree,
a path-prefix match on the indexed materialized path. A record outside scope answers 404, never 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Member, Org

_CACHE_ATTR = "_dangjian_scope_paths"

# Which org roles may do what inside their subtree.
ORG_ROLE_PERMS: dict[str, set[str]] = {
    "committee_admin": {
        "orgs.view",
        "orgs.manage",
        "members.view",
        "members.manage",
        "members.reveal",
        "members.export",
    },
    "secretary": {"orgs.view", "members.view", "members.manage", "members.reveal", "members.export"},
    "affairs_worker": {"orgs.view", "members.view", "members.manage", "members.export"},
}


def is_global_admin(user: Any) -> bool:
    """The system administrator (and a Django superuser) sees every org."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.admin_role == "system"))


# 三员分立 (separation of the three administrators, 等保 2.0): the system administrator runs users and
# orgs, the security administrator runs accounts (unlock, 2FA reset) but sees no member data, and only the
# audit administrator reads the audit log. A Django superuser counts as a system administrator.
def can_read_audit(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "admin_role", "") == "auditor")


def can_admin_users(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and (is_global_admin(user) or getattr(user, "admin_role", "") == "security")
    )


def _minimal(paths: list[str]) -> list[str]:
    """Drop paths covered by a shorter one, so the OR of prefixes stays small."""
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return sorted(out)


def scope_paths(user: Any, perm: str = "members.view") -> list[str]:
    """The org paths whose subtrees the user governs with ``perm`` (one query per request for all perms)."""
    if not user or not user.is_authenticated:
        return []
    cache: dict[str, Any] | None = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        from dangjian.accounts.models import OrgRole

        roles = list(OrgRole.objects.filter(user=user, ended_at__isnull=True).values_list("role", "org__path"))
        cache = {"_roles": roles}
        setattr(user, _CACHE_ATTR, cache)
    if perm not in cache:
        cache[perm] = _minimal([path for role, path in cache["_roles"] if perm in ORG_ROLE_PERMS.get(role, set())])
    return cache[perm]  # type: ignore[no-any-return]


def clear_scope_cache(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def prefix_q(prefix: str, field: str = "org_path", top: str = "~") -> Q:
    """``field`` starts with ``prefix``, written so that the database's index serves it: on PostgreSQL a LIKE
    (varchar_pattern_ops index, orgs migration 0002); on SQLite, whose LIKE never uses an index, a range
    (paths use only 0-9A-Z, so everything under the prefix sorts below prefix + '~' in binary order; pass a
    higher ``top`` for other text, e.g. names)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + top})
    return Q(**{f"{field}__startswith": prefix})


def path_q(paths: list[str], field: str = "org_path") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= prefix_q(p, field)
    return q


def has_org_perm(user: Any, org: Org, perm: str) -> bool:
    if is_global_admin(user):
        return True
    return any(org.path.startswith(p) for p in scope_paths(user, perm))


def require_org_perm(user: Any, org: Org, perm: str) -> None:
    """Raise 404 (not 403) when the org is outside the user's scope for ``perm``."""
    if not has_org_perm(user, org, perm):
        raise Http404(_("Not found."))


def orgs_visible_to(user: Any, perm: str = "orgs.view") -> QuerySet[Org]:
    from dangjian.orgs.models import Org

    if is_global_admin(user):
        return Org.objects.all()
    paths = scope_paths(user, perm)
    member = getattr(user, "member", None) if user.is_authenticated else None
    q = path_q(paths, "path")
    if member is not None and perm == "orgs.view":
        q |= Q(pk=member.org_id)
    return Org.objects.filter(q)


def members_visible_to(user: Any, perm: str = "members.view") -> QuerySet[Member]:
    """Members in the user's scope; an ordinary member sees only their own record."""
    from dangjian.orgs.models import Member

    if is_global_admin(user):
        return Member.objects.all()
    if not user or not user.is_authenticated:
        return Member.objects.none()
    paths = scope_paths(user, perm)
    q = path_q(paths)
    if perm == "members.view" and not _own_record_in(user, paths):
        # The OR defeats the path index, so it is added only when the user's own record lies outside the scope.
        q |= Q(user=user)
    return Member.objects.filter(q)


def _own_record_in(user: Any, paths: list[str]) -> bool:
    if not paths:
        return False
    cache: dict[str, Any] = getattr(user, _CACHE_ATTR, None) or {}
    if "_own_path" not in cache:
        from dangjian.orgs.models import Member

        cache["_own_path"] = Member.objects.filter(user=user).values_list("org_path", flat=True).first()
        setattr(user, _CACHE_ATTR, cache)
    own = cache["_own_path"]
    return own is None or any(own.startswith(p) for p in paths)


def get_or_404(queryset: QuerySet[Any], **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Not found.")) from None


def user_has_any_org_role(user: User) -> bool:
    return is_global_admin(user) or bool(scope_paths(user, "orgs.view"))
