"""Payroll import of yearly dues bases (Excel/CSV, all-or-nothing, row-numbered errors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import members_visible_to
from dangjian.core.tabular import ImportRejected, RowError, open_upload, read_table, write_xlsx

from .models import DuesBase, DuesBill
from .rules import CATEGORIES, FIXED_CATEGORIES, parse_money, quote
from .services import _reprice_unpaid_bills, ruleset_for

BASE_COLUMNS = {
    "工号": "employee_no",
    "employee number": "employee_no",
    "姓名": "name",
    "name": "name",
    "类别": "category",
    "category": "category",
    "月缴费基数": "base",
    "月基数": "base",
    "base": "base",
    "起始月份": "from_month",
    "from month": "from_month",
}
CATEGORY_ALIASES = {
    "在职": "in_service",
    "在职党员": "in_service",
    "年薪制": "in_service",
    "个体": "self_employed",
    "个体经营者": "self_employed",
    "离退休": "retired",
    "退休": "retired",
    "离休": "retired",
    "农民": "farmer",
    "农民党员": "farmer",
    "学生": "student",
    "下岗": "unemployed",
    "失业": "unemployed",
    "下岗失业": "unemployed",
    "低保": "relief",
    "抚恤": "relief",
    "救济": "relief",
} | {k: k for k in CATEGORIES}
TEMPLATE_HEADERS = ["工号", "姓名", "类别", "月缴费基数", "起始月份"]


def base_template() -> bytes:
    example = [
        ["E000123", "张三", "在职", "4500.00", 1],
        ["E000456", "李四", "离退休", "6200.00", 1],
        ["E000789", "王五", "学生", "", 1],
    ]
    return write_xlsx(TEMPLATE_HEADERS, example, title="党费基数")


def bases_import(*, upload: Any, year: int, acting_user: Any) -> dict[str, int]:
    """Validate every row, then write all bases in one transaction, or nothing and every bad row."""
    if not 2000 <= year <= 2100:
        raise DomainError(_("Not a plausible year."), [{"field": "year", "message": _("Not a plausible year.")}])
    kind, stream = open_upload(upload)
    scope = members_visible_to(acting_user, "members.manage")
    rules = ruleset_for(dt.date(year, 1, 1))
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row, data in read_table(kind, stream, BASE_COLUMNS, required=["employee_no", "category"]):
        emp = str(data.get("employee_no") or "").strip()
        if not emp:
            errors.append(RowError(row, "employee_no", _("Employee number is empty.")))
            continue
        if emp in seen:
            errors.append(RowError(row, "employee_no", _("Also on row %(r)d.") % {"r": seen[emp]}))
            continue
        seen[emp] = row
        category = CATEGORY_ALIASES.get(str(data.get("category") or "").strip())
        if category is None:
            errors.append(RowError(row, "category", _("Unknown category “%(c)s”.") % {"c": data.get("category")}))
        try:
            base = parse_money(data.get("base"), "base", allow_none=category in FIXED_CATEGORIES)
        except DomainError as exc:
            errors.append(RowError(row, "base", exc.message))
            base = None
        month = data.get("from_month") or 1
        try:
            month = int(month)
            if not 1 <= month <= 12:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(RowError(row, "from_month", _("The month must be between 1 and 12.")))
        parsed.append(
            (
                row,
                {
                    "employee_no": emp,
                    "name": str(data.get("name") or "").strip(),
                    "category": category,
                    "base": base,
                    "from_month": month,
                },
            )
        )
    members = {m.employee_no: m for m in scope.filter(employee_no__in=list(seen)).select_related("org")}
    for row, d in parsed:
        m = members.get(d["employee_no"])
        if m is None:
            errors.append(RowError(row, "employee_no", _("No member with this employee number in your organisations.")))
        elif d["name"] and d["name"] != m.name:
            errors.append(RowError(row, "name", _("The name does not match the record (%(n)s).") % {"n": m.name}))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.field)))
    objs = []
    for _row, d in parsed:
        q = quote(category=d["category"], base=d["base"], rules=rules.rules)
        objs.append(
            DuesBase(
                member=members[d["employee_no"]],
                year=year,
                from_month=d["from_month"],
                category=d["category"],
                base_amount=q.base,
                rate=q.rate,
                monthly_amount=q.monthly_amount,
                rule_set=rules,
                source=DuesBase.Source.PAYROLL,
                state=DuesBase.State.CONFIRMED,
                recorded_by=acting_user,
                confirmed_by=acting_user,
            )
        )
    with transaction.atomic():
        existing = set(
            DuesBase.objects.filter(member__in=[o.member for o in objs], year=year).values_list(
                "member_id", "from_month"
            )
        )
        DuesBase.objects.bulk_create(
            objs,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["member", "year", "from_month"],
            update_fields=[
                "category",
                "base_amount",
                "rate",
                "monthly_amount",
                "rule_set",
                "source",
                "state",
                "recorded_by",
                "confirmed_by",
            ],
        )
        with_unpaid = set(
            DuesBill.objects.filter(
                member__in=[o.member for o in objs], status=DuesBill.Status.UNPAID, period__year=year
            ).values_list("member_id", flat=True)
        )
        for saved in DuesBase.objects.filter(member_id__in=with_unpaid, year=year).select_related("rule_set", "member"):
            _reprice_unpaid_bills(member=saved.member, base=saved)
        updated = sum(1 for o in objs if (o.member.pk, o.from_month) in existing)
        audit(
            acting_user,
            "dues.bases_import",
            None,
            after={"year": year, "rows": len(objs), "updated": updated, "file": getattr(upload, "name", "")},
        )
    return {"created": len(objs) - updated, "updated": updated}
