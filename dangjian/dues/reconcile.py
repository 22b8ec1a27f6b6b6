"""Reconciliation: match a bank or platform statement against unpaid bills by reference and amount.

A line pays a member's oldest unpaid bills when its reference names the member's employee number and
its amount equals one or several (up to 6) of them; anything else waits for a person. A transaction id
seen before is a duplicate and pays nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import members_visible_to, require_org_perm
from dangjian.core.tabular import ImportRejected, RowError, open_upload, read_table
from dangjian.orgs.models import Member, Org

from .models import DuesBill, DuesPayment, StatementImport, StatementLine
from .rules import parse_money
from .services import BACK_PAYMENT_MONTHS, payment_record

STATEMENT_COLUMNS = {
    "交易日期": "date",
    "日期": "date",
    "date": "date",
    "金额": "amount",
    "交易金额": "amount",
    "amount": "amount",
    "摘要": "reference",
    "附言": "reference",
    "备注": "reference",
    "reference": "reference",
    "付款人": "payer",
    "对方户名": "payer",
    "payer": "payer",
    "流水号": "txn_id",
    "交易流水号": "txn_id",
    "transaction id": "txn_id",
}
TOKEN = re.compile(r"[A-Za-z0-9]+")


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()  # noqa: DTZ007 (a calendar date, no time)
        except ValueError:
            continue
    return None


def statement_import(*, upload: Any, org: Org, acting_user: Any) -> StatementImport:
    """Read the whole statement (all-or-nothing on malformed rows), then match line by line."""
    require_org_perm(acting_user, org, "members.manage")
    kind, stream = open_upload(upload)
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    for row, data in read_table(kind, stream, STATEMENT_COLUMNS, required=["date", "amount", "reference"]):
        date = _parse_date(data.get("date"))
        if date is None:
            errors.append(RowError(row, "date", _("Not a date.")))
        try:
            amount = parse_money(data.get("amount"), "amount")
        except DomainError as exc:
            errors.append(RowError(row, "amount", exc.message))
            amount = None
        rows.append(
            {
                "row": row,
                "date": date,
                "amount": amount,
                "reference": str(data.get("reference") or "")[:200],
                "payer": str(data.get("payer") or "")[:64],
                "txn_id": str(data.get("txn_id") or "")[:64],
            }
        )
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        stmt = StatementImport.objects.create(
            org=org, org_path=org.path, filename=getattr(upload, "name", "")[:200], uploaded_by=acting_user
        )
        _match_lines(stmt=stmt, rows=rows, org=org, acting_user=acting_user)
        audit(
            acting_user,
            "dues.statement_import",
            stmt,
            org_path=org.path,
            after={"lines": len(rows), "matched": stmt.lines.filter(status=StatementLine.Status.MATCHED).count()},
        )
    return stmt


def _match_lines(*, stmt: StatementImport, rows: list[dict[str, Any]], org: Org, acting_user: Any) -> None:
    scope = members_visible_to(acting_user, "members.manage").filter(org_path__startswith=org.path)
    tokens = {t for r in rows for t in TOKEN.findall(r["reference"])}
    members = {m.employee_no: m for m in scope.filter(employee_no__in=tokens).select_related("org")}
    known_ids = set(
        StatementLine.objects.filter(
            org_path__startswith=org.path, txn_id__in=[r["txn_id"] for r in rows if r["txn_id"]]
        )
        .exclude(status=StatementLine.Status.DUPLICATE)
        .values_list("txn_id", flat=True)
    )
    known_keys = set(
        StatementLine.objects.filter(org_path__startswith=org.path, txn_date__in=[r["date"] for r in rows])
        .exclude(status=StatementLine.Status.DUPLICATE)
        .values_list("txn_date", "amount", "reference")
    )
    for r in rows:
        line = StatementLine(
            statement=stmt,
            org_path=org.path,
            row=r["row"],
            txn_date=r["date"],
            amount=r["amount"],
            reference=r["reference"],
            payer=r["payer"],
            txn_id=r["txn_id"],
        )
        key = (r["date"], r["amount"], r["reference"])
        if (r["txn_id"] and r["txn_id"] in known_ids) or (not r["txn_id"] and key in known_keys):
            line.status, line.note = StatementLine.Status.DUPLICATE, _("Already imported")
            line.save()
            continue
        known_ids.add(r["txn_id"]) if r["txn_id"] else known_keys.add(key)
        candidates = [members[t] for t in TOKEN.findall(r["reference"]) if t in members]
        member = candidates[0] if len(candidates) == 1 else None
        line.member = member
        if member is None:
            line.status, line.note = StatementLine.Status.UNMATCHED, _("No single member named in the reference")
            line.save()
            continue
        bills = _bills_for_amount(member, r["amount"], r["date"])
        if bills is None:
            line.status, line.note = (
                StatementLine.Status.UNMATCHED,
                _("The amount does not equal the oldest unpaid months"),
            )
            line.save()
            continue
        payment = payment_record(
            member=member,
            bills=bills,
            method=DuesPayment.Method.BANK,
            paid_on=r["date"],
            acting_user=acting_user,
            external_ref=r["txn_id"] or r["reference"][:64],
            branch_consent=len(bills) > 1,
        )
        line.status, line.payment = StatementLine.Status.MATCHED, payment
        line.save()


def _bills_for_amount(member: Member, amount: Decimal, paid_on: dt.date) -> list[DuesBill] | None:
    """The oldest k unpaid bills (k ≤ 6, within the back-payment window) whose sum equals ``amount``."""
    unpaid = list(
        DuesBill.objects.filter(member=member, status=DuesBill.Status.UNPAID).order_by("period")[:BACK_PAYMENT_MONTHS]
    )
    total = Decimal("0.00")
    for k, bill in enumerate(unpaid, start=1):
        total += bill.amount
        if total == amount:
            return unpaid[:k]
        if total > amount:
            return None
    return None


@transaction.atomic
def statement_line_resolve(
    *,
    line: StatementLine,
    acting_user: Any,
    member: Member | None = None,
    bills: list[DuesBill] | None = None,
    ignore_reason: str = "",
) -> StatementLine:
    """A person settles an unmatched line: pay the chosen bills of a member, or mark it as not dues."""
    org = Org.objects.get(path=line.statement.org_path)
    require_org_perm(acting_user, org, "members.manage")
    if line.status != StatementLine.Status.UNMATCHED:
        raise DomainError(_("This line is already settled."))
    if ignore_reason:
        line.status, line.note = StatementLine.Status.IGNORED, ignore_reason[:200]
    else:
        if member is None or not bills:
            raise DomainError(
                _("Choose the member and the months this money pays."),
                [{"field": "bills", "message": _("This field is required.")}],
            )
        total = sum((b.amount for b in bills), Decimal("0.00"))
        voluntary = line.amount - total
        if voluntary < 0:
            raise DomainError(
                _("The chosen months come to more than the amount received."),
                [{"field": "bills", "message": _("Too much.")}],
            )
        payment = payment_record(
            member=member,
            bills=bills,
            method=DuesPayment.Method.BANK,
            paid_on=line.txn_date,
            acting_user=acting_user,
            external_ref=line.txn_id or line.reference[:64],
            voluntary_amount=voluntary,
            branch_consent=True,
        )
        line.status, line.member, line.payment = StatementLine.Status.RESOLVED, member, payment
    line.save()
    audit(
        acting_user,
        "dues.statement_resolve",
        line,
        org_path=line.org_path,
        after={"status": line.status, "note": line.note},
    )
    return line
