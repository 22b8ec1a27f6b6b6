"""Demo history for dues (``seed_demo(ctx)``, called by seed_demo): bases, a year of bills, payments and some arrears — set-based."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.orgs.models import Member

from .models import DuesBase, DuesBill, DuesPayment
from .periods import add_months, month_start
from .services import bills_generate, ruleset_for

# Bases are multiples of 100 yuan, so base × rate is exact in SQL on every database.
BASE_SQL = """
INSERT INTO {base} (member_id, year, from_month, category, base_amount, rate, monthly_amount, rule_set_id, source, state, created_at)
SELECT m.id, %s, 1,
       CASE WHEN m.id %% 20 = 0 THEN 'retired' ELSE 'in_service' END,
       b.base,
       CASE WHEN m.id %% 20 = 0 THEN (CASE WHEN b.base <= 5000 THEN 0.005 ELSE 0.01 END)
            ELSE (CASE WHEN b.base <= 3000 THEN 0.005 WHEN b.base <= 5000 THEN 0.01 WHEN b.base <= 10000 THEN 0.015 ELSE 0.02 END) END,
       b.base * (CASE WHEN m.id %% 20 = 0 THEN (CASE WHEN b.base <= 5000 THEN 0.005 ELSE 0.01 END)
            ELSE (CASE WHEN b.base <= 3000 THEN 0.005 WHEN b.base <= 5000 THEN 0.01 WHEN b.base <= 10000 THEN 0.015 ELSE 0.02 END) END),
       %s, 'payroll', 'confirmed', %s
FROM {member} m
JOIN (SELECT id, 2500 + ((id * 7919) %% 126) * 100 AS base FROM {member}) b ON b.id = m.id
WHERE m.status IN ('full', 'probationary')
"""

PAY_SQL = """
INSERT INTO {payment} (member_id, org_id, org_path, receipt_no, method, external_ref, paid_on, dues_amount, voluntary_amount,
                       forward_to_centre, branch_consent, paid_by_other, recorded_at)
SELECT b.member_id, b.org_id, b.org_path, 'D' || b.id, 'cash', '', %s, b.amount, 0, %s, %s, '', %s
FROM {bill} b WHERE b.period = %s AND b.status = 'unpaid' AND {keep_unpaid}
"""
LINK_SQL = """
UPDATE {bill} SET status = 'paid', paid_at = %s,
       payment_id = (SELECT p.id FROM {payment} p WHERE p.receipt_no = 'D' || {bill}.id)
WHERE period = %s AND status = 'unpaid' AND {keep_unpaid}
"""
# About one member in 37 stops paying 0–6 months before today: the arrears screens have something to show.
KEEP_UNPAID = "NOT ({alias}member_id %% 37 = 0 AND %s >= %s - ({alias}member_id %% 7))"
FACT_SQL = """
INSERT INTO {fact} (member_id, org_id, org_path, kind, quantity, occurred_at, source_type, source_id)
SELECT b.member_id, b.org_id, b.org_path, %s, 1, %s, 'dues.duesbill', CAST(b.id AS VARCHAR(64))
FROM {bill} b WHERE b.period = %s AND b.status = 'paid'
"""


def seed(*, today: dt.date, members: int, out: Any = None) -> dict[str, int]:
    months = 12 if members <= 200_000 else 3
    now_period = month_start(today)
    first = add_months(now_period, -(months - 1))
    q = connection.ops.quote_name
    t = {
        "base": q(DuesBase._meta.db_table),
        "member": q(Member._meta.db_table),
        "bill": q(DuesBill._meta.db_table),
        "payment": q(DuesPayment._meta.db_table),
        "fact": q(Fact._meta.db_table),
    }
    now = timezone.now()
    bills = 0
    with transaction.atomic(), connection.cursor() as cur:
        for year in sorted({first.year, today.year}):
            cur.execute(BASE_SQL.format(**t), [year, ruleset_for(dt.date(year, 1, 1)).pk, now])
    for i in range(months):
        period = add_months(first, i)
        bills += bills_generate(period=period)
    index_now = now_period.year * 12 + now_period.month
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(months - 1):  # the current month stays unpaid for everyone: something to do today
            period = add_months(first, i)
            index = period.year * 12 + period.month
            paid_on = min(period + dt.timedelta(days=9), today)
            cond_b, cond = KEEP_UNPAID.format(alias="b."), KEEP_UNPAID.format(alias="")
            cur.execute(PAY_SQL.format(keep_unpaid=cond_b, **t), [paid_on, False, False, now, period, index, index_now])
            cur.execute(LINK_SQL.format(keep_unpaid=cond, **t), [now, period, index, index_now])
    written = 0
    tz = timezone.get_default_timezone()
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(months - 1):
            period = add_months(first, i)
            at = dt.datetime.combine(min(period + dt.timedelta(days=9), today), dt.time(10), tzinfo=tz)
            cur.execute(FACT_SQL.format(**t), [FactKind.DUES_PAID_ON_TIME.value, at, period])
            written += cur.rowcount
    if out is not None:
        out.write(f"  dues: {bills:,} bills over {months} months, {written:,} paid on time\n")
    return {"bills": bills, "paid": written}


def seed_demo(ctx: Any) -> None:
    """The seed_demo hook: a year of dues (three months above 200,000 members)."""
    seed(today=ctx.today, members=ctx.members, out=ctx.out)
