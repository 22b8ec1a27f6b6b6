"""Reads for member work: development cases and the pipeline board, mobile and out-of-contact members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from dangjian.core.scoping import is_global_admin, members_visible_to, path_q, scope_paths

from .models import MemberStatus, Org
from .models_development import STAGES, STEPS, DevelopmentCase, stage_of
from .models_transfer import ContactWarning
from .timing import add_months

DUE_SOON_DAYS = 14


def cases_visible_to(user: Any, perm: str = "members.view") -> QuerySet[DevelopmentCase]:
    """Cases of members in the user's scope; with ``members.view`` also the user's own case."""
    if is_global_admin(user):
        return DevelopmentCase.objects.all()
    if not user or not user.is_authenticated:
        return DevelopmentCase.objects.none()
    q = path_q(scope_paths(user, perm), "member__org_path")
    if perm == "members.view":
        q |= Q(member__user=user)
    return DevelopmentCase.objects.filter(q)


@dataclass
class StageColumn:
    number: int
    label: str
    people: int = 0
    overdue: int = 0
    due_soon: int = 0
    steps: list[dict[str, Any]] = field(default_factory=list)


def pipeline_summary(cases: QuerySet[DevelopmentCase], *, today: dt.date) -> list[StageColumn]:
    """Who is at which step (the next one to do), how many are overdue or due soon: one GROUP BY."""
    rows = (
        cases.filter(status=DevelopmentCase.Status.OPEN)
        .values("current_step")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(due_on__lt=today)),
            soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS))),
        )
        .order_by()
    )
    by_step = {min(r["current_step"] + 1, 25): r for r in rows}
    columns = []
    for number, label, steps in STAGES:
        col = StageColumn(number=number, label=str(label))
        for n in steps:
            r = by_step.get(n)
            if r:
                col.people += r["n"]
                col.overdue += r["overdue"]
                col.due_soon += r["soon"]
            col.steps.append(
                {"number": n, "label": str(STEPS[n]), "people": r["n"] if r else 0, "overdue": r["overdue"] if r else 0}
            )
        columns.append(col)
    return columns


def pipeline_rows(
    cases: QuerySet[DevelopmentCase],
    *,
    today: dt.date,
    org: Org | None = None,
    stage: int | None = None,
    step: int | None = None,
    overdue: bool = False,
) -> QuerySet[DevelopmentCase]:
    """Open cases, the most urgent deadline first (the person's name and branch joined in)."""
    qs = cases.filter(status=DevelopmentCase.Status.OPEN).select_related("member", "member__org")
    if org is not None:
        qs = qs.filter(member__org_path__startswith=org.path)
    if stage:
        qs = qs.filter(current_step__in=[n - 1 for n in {s[0]: s[2] for s in STAGES}[stage]])
    if step:
        qs = qs.filter(current_step=step - 1)
    if overdue:
        qs = qs.filter(due_on__lt=today)
    return qs.order_by(F("due_on").asc(nulls_last=True), "member__name", "id")


def case_row(case: DevelopmentCase, today: dt.date) -> dict[str, Any]:
    """What the board shows of one case (no queries)."""
    nxt = case.next_step
    state = ""
    if case.due_on is not None:
        state = (
            "overdue"
            if case.due_on < today
            else ("soon" if case.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS) else "")
        )
    return {
        "case": case,
        "member": case.member,
        "next_step": nxt,
        "next_label": str(STEPS[nxt]) if nxt else "",
        "stage": stage_of(nxt) if nxt else 5,
        "due_step": case.due_step,
        "due_label": str(STEPS[case.due_step]) if case.due_step else "",
        "due_on": case.due_on,
        "state": state,
    }


def has_applicants_without_case(user: Any) -> bool:
    return (
        members_visible_to(user, "members.manage")
        .filter(status=MemberStatus.APPLICANT, development_case__isnull=True)
        .exists()
    )


def contact_overview(user: Any, *, today: dt.date, limit: int = 100) -> dict[str, Any]:
    """Mobile members, members out of contact or suspended, and the open warnings, in the user's scope."""
    scope = members_visible_to(user, "members.manage")
    mobile = list(scope.filter(is_mobile=True).select_related("org").order_by("mobile_since", "id")[:limit])
    for m in mobile:
        m.transfer_due = add_months(m.mobile_since, 6) if m.mobile_since else None  # type: ignore[attr-defined]
    lost = list(
        scope.filter(Q(out_of_contact_since__isnull=False) | Q(status=MemberStatus.SUSPENDED))
        .select_related("org")
        .order_by("out_of_contact_since", "id")[:limit]
    )
    for m in lost:
        m.suspension_due = add_months(m.out_of_contact_since, 6) if m.out_of_contact_since else None  # type: ignore[attr-defined]
    warnings = list(
        ContactWarning.objects.filter(member__in=scope, decided_on__isnull=True)
        .select_related("member", "member__org")
        .order_by("due_on", "id")[:limit]
    )
    return {"mobile": mobile, "lost": lost, "warnings": warnings}
