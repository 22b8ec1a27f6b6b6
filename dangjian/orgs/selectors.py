"""Reads of the org tree and member records, always through core.scoping."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.scoping import members_visible_to, orgs_visible_to, path_q, prefix_q

from .models import ACTIVE_STATUSES, Member, MemberStatus, Org, OrgPost

LIST_FIELDS = [
    "id",
    "name",
    "gender",
    "birth_date",
    "status",
    "employee_no",
    "department",
    "job_title",
    "org_id",
    "org__name",
    "is_mobile",
    "out_of_contact_since",
    "education",
]

_EMPLOYEE_NO = re.compile(r"^[A-Za-z]{0,4}\d{3,}$")  # E0687954, 10023: an employee number, not a name
_PINYIN_QUERY = re.compile(r"^[A-Za-z][A-Za-z '’]*$")


BRANCH_DEPTH = 3  # group → subsidiary → branch: below this a scope holds a few hundred people at most


def member_search_q(q: str, *, part_of_name: bool = False) -> Q:
    """Name prefix (张 / 张三), pinyin (zhangsan), pinyin initials (zs) or exact employee number.

    Every branch is an indexed prefix or equality test: a "contains" search reads the whole scope, which at
    a million members costs most of a second (bench: member list), so names match from their start — except
    with ``part_of_name`` (a branch-sized scope), where 三丰 also finds 张三丰.
    """
    q = q.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if not q:
        return Q()
    cond = Q(employee_no=q) | Q(employee_no=q.upper())
    if _EMPLOYEE_NO.match(q):
        return cond
    if _PINYIN_QUERY.match(q):
        # "Zhang San", "zhangsan", "xi'an" and "zs" all compare against the stored lower-case forms.
        low = re.sub(r"[ '’]", "", q).lower()
        cond |= prefix_q(low, "name_pinyin") | prefix_q(low, "name_initials")
    else:
        cond |= prefix_q(q, "name", top="\U0010ffff")
        if part_of_name and len(q) > 1:
            cond |= Q(name__contains=q)
    return cond


def member_list(
    user: Any,
    *,
    q: str = "",
    org: Org | None = None,
    status: str = "",
    gender: str = "",
    age: str = "",
    education: str = "",
    join_year: int | None = None,
) -> QuerySet[Member]:
    from .stats import apply_filters

    qs = apply_filters(members_visible_to(user), gender=gender, age=age, education=education, join_year=join_year)
    if org is not None:
        qs = qs.filter(prefix_q(org.path))
    if status:
        qs = qs.filter(status=status)
    if q:
        narrow = org.depth >= BRANCH_DEPTH if org is not None else _scope_is_narrow(user)
        qs = qs.filter(member_search_q(q, part_of_name=narrow))
    # Branch by branch (the materialized path), then by id: the order an index on (org_path, id) gives.
    return (
        qs.select_related("org")
        .only(*[f for f in LIST_FIELDS if "__" not in f], "org__name")
        .order_by("org_path", "id")
    )


def _scope_is_narrow(user: Any) -> bool:
    from dangjian.core.scoping import is_global_admin, scope_paths

    paths = scope_paths(user)
    return not is_global_admin(user) and all(len(p) >= BRANCH_DEPTH * Org.steplen for p in paths)


def org_children(user: Any, parent: Org | None) -> QuerySet[Org]:
    visible = orgs_visible_to(user)
    if parent is None:
        return visible.filter(depth=min(visible.values_list("depth", flat=True), default=1)).order_by("path")
    return visible.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("path")


def org_tree_rows(user: Any, root: Org | None = None, max_depth: int | None = None) -> list[Org]:
    """The visible tree (or a subtree) in path order, in two queries.

    ``member_count`` is the number of full and probationary members in the org and everything below it.
    """
    qs = orgs_visible_to(user)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    if max_depth is not None:
        qs = qs.filter(depth__lte=max_depth)
    rows = list(qs.order_by("path"))
    counts = _subtree_counts(rows)
    for o in rows:
        o.member_count = counts[o.path][1]  # type: ignore[attr-defined]
    return rows


@dataclass
class BranchWarning:
    org: Org
    code: str
    message: str
    level: str  # "red" | "yellow"


BRANCH_MIN_FULL = 3  # ≥ 3 full members form a branch; fewer → joint branch (联合支部)
BRANCH_MAX_MEMBERS = 50  # a branch usually has ≤ 50 members; 50–100 → general branch (总支)
COMMITTEE_ORG_MEMBERS = 100  # ≥ 100 → grassroots committee (党委)
BRANCH_COMMITTEE_FULL = 7  # ≥ 7 full members → a branch committee (支委会) of 3–5
TERM_REMINDER_DAYS = 183  # remind the branch 6 months before its term ends


def _covering_prefixes(orgs: list[Org]) -> list[str]:
    """The fewest paths whose subtrees cover all ``orgs`` (usually one), for prefix filters instead of IN lists."""
    prefixes: list[str] = []
    for p in sorted({o.path for o in orgs}, key=len):
        if not any(p.startswith(q) for q in prefixes):
            prefixes.append(p)
    return prefixes


def _subtree_counts(orgs: list[Org]) -> dict[str, tuple[int, int]]:
    """(full, full + probationary) members per org path, counting the Party groups under a branch too.

    One GROUP BY over the members' indexed ``org_path``; the roll-up to ancestors is per path, not per member.
    """
    if not orgs:
        return {}
    rows = (
        Member.objects.filter(path_q(_covering_prefixes(orgs)), status__in=ACTIVE_STATUSES)
        .values_list("org_path")
        .annotate(full=Count("id", filter=Q(status=MemberStatus.FULL)), total=Count("id"))
        .order_by()
    )
    out: dict[str, tuple[int, int]] = {o.path: (0, 0) for o in orgs}
    for path, full, total in rows:
        for end in range(Org.steplen, len(path) + 1, Org.steplen):
            ancestor = path[:end]
            if ancestor in out:
                f, t = out[ancestor]
                out[ancestor] = (f + full, t + total)
    return out


def branch_warnings(orgs: QuerySet[Org], today: dt.date | None = None) -> list[BranchWarning]:
    """The branch-size and term rules of the 支部工作条例, for many orgs in three queries.

    Size rules apply to ordinary branches (not cloud or temporary ones) and count the members of the
    branch and its Party groups: full members for "fewer than 3" and "committee at 7", full and
    probationary members for "more than 50". Term rules apply to every branch and committee.
    """
    today = today or timezone.localdate()
    rows_list = list(
        orgs.filter(
            kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH, Org.Kind.COMMITTEE], ended_at__isnull=True
        ).order_by("path")
    )
    sized = [o for o in rows_list if o.kind == Org.Kind.BRANCH and not (o.is_cloud or o.is_temporary)]
    counts = _subtree_counts(sized)
    committee_sizes: dict[int, int] = {}
    if sized:
        committee_sizes = dict(
            OrgPost.objects.filter(path_q(_covering_prefixes(sized), "org__path"), ended_on__isnull=True)
            .values_list("org_id")
            .annotate(n=Count("member_id", distinct=True))
            .order_by()
        )
    out: list[BranchWarning] = []
    reminder_from = today + dt.timedelta(days=TERM_REMINDER_DAYS)
    for o in rows_list:
        if o.path in counts:
            full_n, total_n = counts[o.path]
            if full_n < BRANCH_MIN_FULL:
                out.append(
                    BranchWarning(
                        o,
                        "too_few",
                        _("Fewer than 3 full members (%(n)d): form a joint branch.") % {"n": full_n},
                        "red",
                    )
                )
            if total_n >= COMMITTEE_ORG_MEMBERS:
                out.append(
                    BranchWarning(
                        o,
                        "needs_committee_org",
                        _("%(n)d members: a grassroots Party committee should be set up.") % {"n": total_n},
                        "yellow",
                    )
                )
            elif total_n > BRANCH_MAX_MEMBERS:
                out.append(
                    BranchWarning(
                        o,
                        "too_many",
                        _("More than 50 members (%(n)d): split the branch or set up a general branch.")
                        % {"n": total_n},
                        "yellow",
                    )
                )
            if full_n >= BRANCH_COMMITTEE_FULL and committee_sizes.get(o.pk, 0) < 3:
                out.append(
                    BranchWarning(
                        o,
                        "needs_committee",
                        _("7 or more full members (%(n)d): elect a branch committee of 3 to 5.") % {"n": full_n},
                        "yellow",
                    )
                )
        if o.term_end:
            if o.term_end < today:
                out.append(
                    BranchWarning(
                        o,
                        "term_over",
                        _("Term ended on %(d)s: the election is overdue.") % {"d": o.term_end.isoformat()},
                        "red",
                    )
                )
            elif o.term_end <= reminder_from:
                out.append(
                    BranchWarning(
                        o,
                        "term_ending",
                        _("Term ends on %(d)s: prepare the election.") % {"d": o.term_end.isoformat()},
                        "yellow",
                    )
                )
    return out
