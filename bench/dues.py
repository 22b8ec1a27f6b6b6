"""Dues benchmark: one month's bills for every paying member, as the scheduled job runs it.

    python -m bench.dues [--members N]      (uses the database `python -m bench` builds, or DATABASE_URL)

Times ``dues.services.bills_generate`` for a month with no bills yet (one INSERT … SELECT), then the same run
again (idempotent: creates nothing), against a baseline in the same run: a full count of the member table.
Budget (DESIGN / issue 5): < 60 s for 1,000,000 members on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

from bench.main import RESULTS, setup_django

BUDGET_S = 60.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dues", description=__doc__)
    p.add_argument("--period", default=None, help="YYYY-MM to bill (default: two months ahead, so it has no bills)")
    args = p.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from dangjian.dues.models import DuesBill
    from dangjian.dues.periods import add_months, month_start, parse_period
    from dangjian.dues.services import bills_generate
    from dangjian.orgs.models import Member

    period = parse_period(args.period) if args.period else add_months(month_start(timezone.localdate()), 2)
    assert period is not None
    DuesBill.objects.filter(period=period).delete()
    members = Member.objects.count()
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(Member._meta.db_table)}")
        cur.fetchone()
    baseline = time.perf_counter() - t0
    t0 = time.perf_counter()
    created = bills_generate(period=period)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = bills_generate(period=period)
    second = time.perf_counter() - t0
    DuesBill.objects.filter(period=period).delete()
    projected = first * 1_000_000 / members if members else 0.0
    data: dict[str, Any] = {
        "at": dt.datetime.now().isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "members": members,
        "period": f"{period:%Y-%m}",
        "bills_created": created,
        "seconds": round(first, 3),
        "rerun_created": again,
        "rerun_seconds": round(second, 3),
        "baseline_count_seconds": round(baseline, 4),
        "ratio_to_baseline": round(first / baseline, 1) if baseline else None,
        "projected_1m_seconds": round(projected, 1),
        "budget_seconds": BUDGET_S,
        "verdict": "within budget" if projected < BUDGET_S else "OVER budget",
    }
    print(
        f"dues bill run ({connection.vendor}, {members:,} members): {created:,} bills in {first:.2f}s "
        f"({first / baseline:.0f}× a full member count of {baseline * 1000:.1f} ms); rerun created {again} in {second:.2f}s; "
        f"projected at 1,000,000: {projected:.0f}s (budget {BUDGET_S:.0f}s) — {data['verdict']}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dues.json").write_text(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
