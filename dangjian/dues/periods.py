"""Month arithmetic for dues periods (a period is the first day of its month)."""

from __future__ import annotations

import calendar
import datetime as dt


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: dt.date, n: int) -> dt.date:
    index = d.year * 12 + (d.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole months from period a to period b (b − a)."""
    return (b.year - a.year) * 12 + (b.month - a.month)


def parse_period(value: str) -> dt.date | None:
    """'2026-03' → 2026-03-01, or None."""
    try:
        year, month = value.split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None
