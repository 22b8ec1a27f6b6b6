"""Dues totals by org for a month or a year, their Excel export, and closing a month into the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.ledger import ledger_append
from dangjian.core.scoping import require_org_perm
from dangjian.core.tabular import write_xlsx
from dangjian.orgs.models import Org

from .models import DuesBill, DuesMonthClose, DuesPayment
from .selectors import month_totals

ZERO = Decimal("0.00")


def totals_by_child(*, org: Org, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """One row per direct child of ``org`` (plus the org itself for bills held there): billed, collected,
    outstanding, exempted and voluntary for bills with ``first ≤ period ≤ last``. Two GROUP BY queries."""
    children = list(Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path"))
    rows: dict[str, dict[str, Any]] = {
        c.path: {
            "org": c,
            "billed": ZERO,
            "collected": ZERO,
            "outstanding": ZERO,
            "exempted": 0,
            "members": 0,
            "voluntary": ZERO,
        }
        for c in children
    }
    own = {
        "org": org,
        "billed": ZERO,
        "collected": ZERO,
        "outstanding": ZERO,
        "exempted": 0,
        "members": 0,
        "voluntary": ZERO,
    }
    width = len(org.path) + Org.steplen
    bills = (
        DuesBill.objects.filter(org_path__startswith=org.path, period__gte=first, period__lte=last)
        .values("org_path")
        .annotate(
            billed=Sum("amount"),
            collected=Sum("amount", filter=Q(status="paid")),
            outstanding=Sum("amount", filter=Q(status="unpaid")),
            exempted=Count("id", filter=Q(status="exempted")),
            members=Count("member_id", distinct=True),
        )
    )
    for b in bills:
        target = rows.get(b["org_path"][:width], own)
        for k in ("billed", "collected", "outstanding"):
            target[k] += b[k] or ZERO
        target["exempted"] += b["exempted"]
        target["members"] += b["members"]
    voluntary = (
        DuesPayment.objects.filter(
            org_path__startswith=org.path, paid_on__gte=first, paid_on__lte=_month_last_day(last)
        )
        .values("org_path")
        .annotate(v=Sum("voluntary_amount"))
    )
    for v in voluntary:
        rows.get(v["org_path"][:width], own)["voluntary"] += v["v"] or ZERO
    out = list(rows.values())
    if own["billed"] or own["voluntary"]:
        out.insert(0, own)
    return out


def _month_last_day(period: dt.date) -> dt.date:
    from .periods import month_end

    return month_end(period)


def totals_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    headers = [
        _("Organisation"),
        _("Billed"),
        _("Collected"),
        _("Outstanding"),
        _("Exempted"),
        _("Voluntary"),
        _("Members"),
    ]
    data = [
        [r["org"].name, r["billed"], r["collected"], r["outstanding"], r["exempted"], r["voluntary"], r["members"]]
        for r in rows
    ]
    return write_xlsx(headers, data, title=title)


@transaction.atomic
def month_close(*, org: Org, period: dt.date, acting_user: Any) -> DuesMonthClose:
    """Publish a month's totals: appended to the SM3 ledger, so any later change is detectable."""
    require_org_perm(acting_user, org, "orgs.manage")
    if DuesMonthClose.objects.filter(org=org, period=period).exists():
        raise DomainError(_("This month is already closed."))
    totals = {k: str(v) for k, v in month_totals(org_path=org.path, period=period).items()}
    entry = ledger_append(
        kind="dues.month_totals",
        ref=f"{org.pk}:{period:%Y-%m}",
        payload={"org": org.name, "period": f"{period:%Y-%m}", **totals},
    )
    close = DuesMonthClose.objects.create(
        org=org, period=period, totals=totals, ledger_entry=entry, closed_by=acting_user
    )
    audit(acting_user, "dues.month_close", close, org_path=org.path, after=totals)
    return close


def closed_months_changed() -> list[tuple[DuesMonthClose, dict[str, tuple[str, str]]]]:
    """Closed months whose totals no longer match what was published (and chained in the ledger)."""
    changed = []
    for close in DuesMonthClose.objects.select_related("org", "ledger_entry"):
        now = {k: str(v) for k, v in month_totals(org_path=close.org.path, period=close.period).items()}
        published = close.ledger_entry.payload
        diff = {k: (published.get(k), v) for k, v in now.items() if published.get(k) != v}
        if diff:
            changed.append((close, diff))
    return changed
