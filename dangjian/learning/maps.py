"""Learning maps (学习地图): which resources each role must (required) or may (elective) study in the three
dimensions, set by an org for its subtree; a member's map with progress, and a branch's map for its secretary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from dangjian.accounts.models import OrgRole
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.orgs.models import ACTIVE_STATUSES, Member, Org, OrgPost

from . import textseg
from .models import Dimension, LearnerRole, LearningMap, MapItem, Resource, StudyProgress
from .selectors import ancestors, audience_can_see, governs

SECRETARY_POSTS = {OrgPost.Post.SECRETARY, OrgPost.Post.DEPUTY_SECRETARY}
BRANCH_KINDS = {Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH, Org.Kind.GROUP}


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def roles_of(members: list[Member]) -> dict[int, set[str]]:
    """The learner roles of many members in two queries: posts held (committee → leader, branch secretary or
    deputy → secretary, other branch committee posts → Party-affairs worker) and org roles of their logins."""
    roles: dict[int, set[str]] = {m.pk: {LearnerRole.MEMBER} for m in members}
    posts = OrgPost.objects.filter(member_id__in=list(roles), ended_on__isnull=True).values_list(
        "member_id", "post", "org__kind"
    )
    for member_id, post, kind in posts:
        if kind == Org.Kind.COMMITTEE:
            roles[member_id].add(LearnerRole.LEADER)
        elif post in SECRETARY_POSTS:
            roles[member_id].add(LearnerRole.SECRETARY)
        else:
            roles[member_id].add(LearnerRole.AFFAIRS)
    by_user = {m.user_id: m.pk for m in members if m.user_id}
    for user_id, role in OrgRole.objects.filter(user_id__in=list(by_user), ended_at__isnull=True).values_list(
        "user_id", "role"
    ):
        roles[by_user[user_id]].add(LearnerRole.SECRETARY if role == OrgRole.Role.SECRETARY else LearnerRole.AFFAIRS)
    return roles


def _post_matches(post: str, job_title: str) -> bool:
    return not post or (bool(job_title) and (post in job_title or job_title in post))


@dataclass
class MapRow:
    resource: Resource
    required: bool
    dimension: str
    percent: int = 0
    seconds: int = 0
    done: bool = False


@dataclass
class DimensionView:
    dimension: str
    label: str
    rows: list[MapRow] = field(default_factory=list)

    @property
    def required(self) -> list[MapRow]:
        return [r for r in self.rows if r.required]

    @property
    def elective(self) -> list[MapRow]:
        return [r for r in self.rows if not r.required]

    @property
    def required_done(self) -> int:
        return sum(1 for r in self.required if r.done)

    @property
    def percent(self) -> int:
        req = self.required
        return round(100 * self.required_done / len(req)) if req else 100


def _items_for(member: Member, roles: set[str], maps: list[LearningMap], items: list[MapItem]) -> dict[int, MapItem]:
    """The member's items, one per resource (required wins over elective)."""
    own = {m.pk for m in maps if member.org_path.startswith(m.org_path) and m.role in roles}
    chosen: dict[int, MapItem] = {}
    for it in items:
        if it.map_id in own and _post_matches(it.post, member.job_title):
            old = chosen.get(it.resource_id)
            if old is None or (it.required and not old.required):
                chosen[it.resource_id] = it
    return chosen


def _maps_over(path: str) -> tuple[list[LearningMap], list[MapItem]]:
    maps = list(LearningMap.objects.filter(Q(org_path__in=ancestors(path)) | Q(org_path__startswith=path)))
    items = list(
        MapItem.objects.filter(map__in=maps, resource__status=Resource.Status.PUBLISHED).select_related("resource")
    )
    return maps, items


def member_map(member: Member) -> list[DimensionView]:
    """The member's map in the three dimensions with their progress on each item (five queries in all)."""
    roles = roles_of([member])[member.pk]
    maps, items = _maps_over(member.org_path)
    chosen = _items_for(member, roles, maps, items)
    progress = {p.resource_id: p for p in StudyProgress.objects.filter(member=member, resource_id__in=list(chosen))}
    views = {d: DimensionView(d, str(label)) for d, label in Dimension.choices}
    for rid, it in chosen.items():
        p = progress.get(rid)
        dur = it.resource.duration
        views[it.dimension].rows.append(
            MapRow(
                it.resource,
                it.required,
                it.dimension,
                percent=min(100, round(100 * p.furthest / dur)) if p and dur else 0,
                seconds=p.seconds if p else 0,
                done=bool(p and p.completed_at),
            )
        )
    return list(views.values())


def map_gaps(member: Member) -> list[Resource]:
    """Required items of the member's map not yet completed (recommendations fill these first)."""
    return [r.resource for v in member_map(member) for r in v.required if not r.done]


@dataclass
class BranchRow:
    member: Member
    by_dimension: dict[str, tuple[int, int]]  # dimension → (required done, required total)
    seconds: int
    completed: int

    @property
    def percent(self) -> int:
        done = sum(d for d, _t in self.by_dimension.values())
        total = sum(t for _d, t in self.by_dimension.values())
        return round(100 * done / total) if total else 100


def branch_map(*, org: Org, acting_user: Any) -> list[BranchRow]:
    """Every active member of a branch with required items done per dimension, study time and completions.

    A fixed number of queries whatever the branch's size: members, their roles (2), the maps and items (2), the
    completed required items of all members (1), and study time per member (1, GROUP BY member)."""
    if not governs(acting_user, org.path, "members.view"):
        raise DomainError(_("Not found."), status=404)
    members = list(
        Member.objects.filter(org_path__startswith=org.path, status__in=ACTIVE_STATUSES).order_by("name", "id")
    )
    roles = roles_of(members)
    maps, items = _maps_over(org.path)
    chosen = {m.pk: _items_for(m, roles[m.pk], maps, items) for m in members}
    required_ids = {rid for c in chosen.values() for rid, it in c.items() if it.required}
    ids = [m.pk for m in members]
    done = set(
        StudyProgress.objects.filter(
            member_id__in=ids, resource_id__in=required_ids, completed_at__isnull=False
        ).values_list("member_id", "resource_id")
    )
    totals = {
        r["member_id"]: r
        for r in StudyProgress.objects.filter(member_id__in=ids)
        .values("member_id")
        .annotate(ms=Sum("study_ms"), completed=Count("id", filter=Q(completed_at__isnull=False)))
    }
    rows = []
    for m in members:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for rid, it in chosen[m.pk].items():
            if it.required:
                counts[it.dimension][1] += 1
                counts[it.dimension][0] += (m.pk, rid) in done
        t: Any = totals.get(m.pk, {})
        rows.append(
            BranchRow(
                m,
                {d: (counts[d][0], counts[d][1]) for d in Dimension.values},
                (t.get("ms") or 0) // 1000,
                t.get("completed") or 0,
            )
        )
    return rows


# --- writes -------------------------------------------------------------------------------------------


@transaction.atomic
def map_save(*, org: Org, role: str, title: str, acting_user: Any) -> LearningMap:
    """Create (or rename) the map of one role for an org's subtree."""
    if not governs(acting_user, org.path, "members.manage"):
        raise _err("org", _("You cannot set learning maps for this organisation."))
    if role not in LearnerRole.values:
        raise _err("role", _("Unknown role."))
    title = textseg.clean_text(title).strip()
    if not title or len(title) > 200:
        raise _err("title", _("Give a title of at most 200 characters."))
    lm, created = LearningMap.objects.update_or_create(
        org=org, role=role, defaults={"org_path": org.path, "title": title, "created_by": acting_user}
    )
    audit(
        acting_user,
        "learning.map_add" if created else "learning.map_edit",
        lm,
        org_path=org.path,
        after={"role": role, "title": title},
    )
    return lm


@transaction.atomic
def map_item_set(
    *, learning_map: LearningMap, resource: Resource, dimension: str, required: bool, acting_user: Any, post: str = ""
) -> MapItem:
    """Put a published resource, that everyone under the map's org can see, on the map."""
    if not governs(acting_user, learning_map.org_path, "members.manage"):
        raise _err("map", _("You cannot change this learning map."))
    if dimension not in Dimension.values:
        raise _err("dimension", _("Unknown dimension."))
    if resource.status != Resource.Status.PUBLISHED or not audience_can_see(
        resource.org_path, resource.group_wide, learning_map.org_path
    ):
        raise _err("resource", _("Only a resource published to everyone this map is for can be put on it."))
    post = textseg.clean_text(post).strip()
    if len(post) > 64:
        raise _err("post", _("At most 64 characters."))
    item, _created = MapItem.objects.update_or_create(
        map=learning_map,
        resource=resource,
        defaults={
            "dimension": dimension,
            "required": bool(required),
            "post": post,
            "position": learning_map.items.count(),
        },
    )
    audit(
        acting_user,
        "learning.map_item",
        learning_map,
        org_path=learning_map.org_path,
        after={"resource": resource.pk, "dimension": dimension, "required": bool(required), "post": post},
    )
    return item


@transaction.atomic
def map_item_remove(*, item: MapItem, acting_user: Any) -> None:
    lm = item.map
    if not governs(acting_user, lm.org_path, "members.manage"):
        raise _err("map", _("You cannot change this learning map."))
    audit(acting_user, "learning.map_item_remove", lm, org_path=lm.org_path, before={"resource": item.resource_id})
    item.delete()
