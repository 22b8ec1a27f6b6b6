"""Reads of the org tree and member records, always through core.scoping."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.scoping import members_visible_to, orgs_visible_to

from .models import Member, MemberStatus, Org, OrgPost

LIST_FIELDS = [
    "id", "name", "gender", "birth_date", "status", "employee_no", "department", "job_title", "org_id",
    "org__name", "is_mobile", "out_of_contact_since", "education",
]

_ASCII_WORD = re.compile(r"^[A-Za-z]+$")


def member_search_q(q: str) -> Q:
    """Name, pinyin (zhangsan), pinyin initials (zs) or employee number."""
    q = q.strip()
    if not q:
        return Q()
    cond = Q(employee_no__iexact=q)
    if _ASCII_WORD.match(q):
        low = q.lower()
        cond |= Q(name_pinyin__startswith=low) | Q(name_initials__startswith=low)
    else:
        cond |= Q(name__startswith=q) | Q(name__contains=q) if len(q) > 1 else Q(name__startswith=q)
    return cond


def member_list(user: Any, *, q: str = "", org: Org | None = None, status: str = "") -> QuerySet[Member]:
    qs = members_visible_to(user)
    if org is not None:
        qs = qs.filter(org_path__startswith=org.path)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(member_search_q(q))
    return qs.select_related("org").only(*[f for f in LIST_FIELDS if "__" not in f], "org__name").order_by("id")


def org_children(user: Any, parent: Org | None) -> QuerySet[Org]:
    visible = orgs_visible_to(user)
    if parent is None:
        return visible.filter(depth=min(visible.values_list("depth", flat=True), default=1)).order_by("path")
    return visible.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("path")


def org_tree_rows(user: Any, root: Org | None = None, max_depth: int | None = None) -> list[Org]:
    """The visible tree (or a subtree) in path order, with member counts, in two queries."""
    qs = orgs_visible_to(user)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    if max_depth is not None:
        qs = qs.filter(depth__lte=max_depth)
    rows = list(qs.order_by("path"))
    counts = dict(
        Member.objects.filter(org_id__in=[o.pk for o in rows], status__in=[MemberStatus.FULL, MemberStatus.PROBATIONARY])
        .values_list("org_id")
        .annotate(n=Count("id"))
    )
    for o in rows:
        o.member_count = counts.get(o.pk, 0)  # type: ignore[attr-defined]
    return rows


@dataclass
class BranchWarning:
    org: Org
    code: str
    message: str
    level: str  # "red" | "yellow"


def branch_warnings(orgs: QuerySet[Org], today: dt.date | None = None) -> list[BranchWarning]:
    """The branch-size and term rules of the 支部工作条例, computed for many orgs with one GROUP BY."""
    today = today or timezone.localdate()
    active = [MemberStatus.FULL, MemberStatus.PROBATIONARY]
    rows = orgs.filter(kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH, Org.Kind.COMMITTEE], ended_at__isnull=True).annotate(
        full_n=Count("members", filter=Q(members__status=MemberStatus.FULL), distinct=True),
        total_n=Count("members", filter=Q(members__status__in=active), distinct=True),
    )
    rows_list = list(rows)
    committee_sizes = dict(
        OrgPost.objects.filter(org__in=[o.pk for o in rows_list], ended_on__isnull=True)
        .values_list("org_id")
        .annotate(n=Count("member_id", distinct=True))
    )
    out: list[BranchWarning] = []
    six_months = today + dt.timedelta(days=183)
    for o in rows_list:
        full_n, total_n = o.full_n, o.total_n  # type: ignore[attr-defined]
        if o.kind == Org.Kind.BRANCH and not (o.is_cloud or o.is_temporary):
            if full_n < 3:
                out.append(BranchWarning(o, "too_few", _("Fewer than 3 full members (%(n)d): form a joint branch.") % {"n": full_n}, "red"))
            if total_n > 50:
                out.append(BranchWarning(o, "too_many", _("More than 50 members (%(n)d): consider splitting the branch.") % {"n": total_n}, "yellow"))
            if total_n >= 100:
                out.append(BranchWarning(o, "needs_committee_org", _("100 or more members: a grassroots Party committee should be set up."), "yellow"))
            elif total_n >= 50:
                out.append(BranchWarning(o, "needs_general_branch", _("50 or more members: a general branch may be set up."), "yellow"))
            if full_n >= 7 and committee_sizes.get(o.pk, 0) < 3:
                out.append(BranchWarning(o, "needs_committee", _("7 or more full members: elect a branch committee of 3 to 5."), "yellow"))
        if o.term_end:
            if o.term_end < today:
                out.append(BranchWarning(o, "term_over", _("Term ended on %(d)s: the election is overdue.") % {"d": o.term_end.isoformat()}, "red"))
            elif o.term_end <= six_months:
                out.append(BranchWarning(o, "term_ending", _("Term ends on %(d)s: prepare the election.") % {"d": o.term_end.isoformat()}, "yellow"))
    return out
