"""API: the dues calculator, a member's bills, a branch's bills and recording payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, members_visible_to, orgs_visible_to

from . import services
from .models import DuesBill, DuesPayment
from .periods import parse_period
from .rules import CATEGORIES, parse_money
from .selectors import bills_visible_to

router = Router(tags=["dues"])


class QuoteOut(Schema):
    monthly_amount: str
    rate: str | None
    category: str
    base: str | None
    rule_version: str


@router.get("/calculate", auth=None, response=QuoteOut)
def calculate(request: HttpRequest, income: str | None = None, category: str = "in_service") -> QuoteOut:
    """Monthly dues for an income (yuan/month) and category, under the rules in force today.

    The whole base falls in one bracket (not progressive); rounded ROUND_HALF_UP to 0.01.
    Fixed categories (farmer, student, unemployed, relief) ignore ``income`` and have no rate.
    """
    if category not in CATEGORIES:
        raise DomainError(
            _("Unknown category: choose one of %(c)s.") % {"c": ", ".join(CATEGORIES)},
            [{"field": "category", "message": _("Unknown category.")}],
        )
    fixed = category in ("farmer", "student", "unemployed", "relief")
    base = parse_money(income, "income", allow_none=fixed)
    q, rs = services.dues_quote(category=category, base=base)
    return QuoteOut(
        monthly_amount=f"{q.monthly_amount:.2f}",
        rate=(format(q.rate.normalize(), "f") if q.rate is not None else None),
        category=category,
        base=(f"{q.base:.2f}" if q.base is not None else None),
        rule_version=rs.name,
    )


class BillOut(Schema):
    id: int
    member_id: int
    member_name: str
    period: str
    amount: str
    status: str
    paid_at: dt.datetime | None
    receipt_no: str | None


class BillListOut(Schema):
    items: list[BillOut]
    count: int


def _bill_out(b: DuesBill) -> BillOut:
    return BillOut(
        id=b.pk,
        member_id=b.member_id,
        member_name=b.member.name,
        period=b.period.strftime("%Y-%m"),
        amount=f"{b.amount:.2f}",
        status=b.status,
        paid_at=b.paid_at,
        receipt_no=b.payment.receipt_no if b.payment is not None else None,
    )


@router.get("/bills", response=BillListOut)
def bill_list(
    request: HttpRequest,
    member: int | None = None,
    org: int | None = None,
    period: str | None = None,
    status: DuesBill.Status | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=200),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Bills in the caller's scope (a member sees their own), newest month first."""
    qs = bills_visible_to(request.user).select_related("member", "payment")
    if member:
        qs = qs.filter(member=get_or_404(members_visible_to(request.user), pk=member))
    if org:
        qs = qs.filter(org_path__startswith=get_or_404(orgs_visible_to(request.user), pk=org).path)
    if period:
        p = parse_period(period)
        if p is None:
            raise DomainError(_("period must look like 2026-03."), [{"field": "period", "message": _("Use YYYY-MM.")}])
        qs = qs.filter(period=p)
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("-period", "member_id")
    start = (page - 1) * page_size
    return {"items": [_bill_out(b) for b in qs[start : start + page_size]], "count": qs.count()}


class PaymentIn(Schema):
    member_id: int
    bill_ids: list[int] = Field(default_factory=list, max_length=24)
    method: DuesPayment.Method
    paid_on: dt.date
    external_ref: str = Field(default="", max_length=64)
    voluntary_amount: Decimal = Field(default=Decimal("0.00"), ge=0, le=Decimal("10000000"), decimal_places=2)
    branch_consent: bool = False
    paid_by_other: str = Field(default="", max_length=64)


class PaymentOut(Schema):
    id: int
    receipt_no: str
    dues_amount: str
    voluntary_amount: str
    forward_to_centre: bool
    months: list[str]


@router.post("/payments", response={201: PaymentOut})
def payment_create(request: HttpRequest, payload: PaymentIn) -> Status[PaymentOut]:
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=payload.member_id)
    bills = list(DuesBill.objects.filter(pk__in=payload.bill_ids, member=member))
    if len(bills) != len(set(payload.bill_ids)):
        raise DomainError(
            _("Some bills do not belong to this member."),
            [{"field": "bill_ids", "message": _("Not this member's bills.")}],
        )
    p = services.payment_record(
        member=member,
        bills=bills,
        method=payload.method,
        paid_on=payload.paid_on,
        acting_user=request.user,
        external_ref=payload.external_ref,
        voluntary_amount=payload.voluntary_amount,
        branch_consent=payload.branch_consent,
        paid_by_other=payload.paid_by_other,
    )
    months = sorted(b.period.strftime("%Y-%m") for b in bills)
    return Status(
        201,
        PaymentOut(
            id=p.pk,
            receipt_no=p.receipt_no,
            dues_amount=f"{p.dues_amount:.2f}",
            voluntary_amount=f"{p.voluntary_amount:.2f}",
            forward_to_centre=p.forward_to_centre,
            months=months,
        ),
    )
