"""Reads of dues: a member's bills and payments, a branch's month, totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from dangjian.core.scoping import is_global_admin, path_q, scope_paths

from .models import DuesBill, DuesPayment
from .rules import CENT


def bills_visible_to(user: Any) -> QuerySet[DuesBill]:
    if is_global_admin(user):
        return DuesBill.objects.all()
    q = path_q(scope_paths(user, "members.view")) | Q(member__user=user)
    return DuesBill.objects.filter(q)


def payments_visible_to(user: Any) -> QuerySet[DuesPayment]:
    if is_global_admin(user):
        return DuesPayment.objects.all()
    q = path_q(scope_paths(user, "members.view")) | Q(member__user=user)
    return DuesPayment.objects.filter(q)


def month_totals(*, org_path: str, period: dt.date) -> dict[str, Any]:
    """Collected, outstanding and exempted for one month in a subtree, plus voluntary dues paid that month."""
    bills = DuesBill.objects.filter(org_path__startswith=org_path, period=period).aggregate(
        billed=Sum("amount"),
        collected=Sum("amount", filter=Q(status=DuesBill.Status.PAID)),
        outstanding=Sum("amount", filter=Q(status=DuesBill.Status.UNPAID)),
        members=Count("id"),
        paid_members=Count("id", filter=Q(status=DuesBill.Status.PAID)),
        exempted_members=Count("id", filter=Q(status=DuesBill.Status.EXEMPTED)),
    )
    voluntary = DuesPayment.objects.filter(
        org_path__startswith=org_path, paid_on__year=period.year, paid_on__month=period.month
    ).aggregate(v=Sum("voluntary_amount"))["v"]
    money = {"billed", "collected", "outstanding"}
    out = {k: (Decimal(v or 0).quantize(CENT) if k in money else (v or 0)) for k, v in bills.items()}
    return out | {"voluntary": Decimal(voluntary or 0).quantize(CENT)}
