"""Calendar arithmetic for member work: whole months and years, ages, working days, configured numbers."""

from __future__ import annotations

import calendar
import datetime as dt

import chinese_calendar

from dangjian.core.models import Setting


def add_months(day: dt.date, months: int) -> dt.date:
    """The same date ``months`` later; a day the target month lacks becomes its last day (31 Jan + 1 → 28/29 Feb).

    This is the 民法典 art. 203 rule for periods counted in months or years (no corresponding day → month end).
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same date ``years`` later (29 Feb → 28 Feb in a common year)."""
    return add_months(day, 12 * years)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Full years of age on ``on`` (the birthday itself counts; a 29 Feb birthday falls on 1 Mar in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_workday(day: dt.date) -> bool:
    """The official Chinese calendar with its adjusted working days (调休); Monday–Friday for years it does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def working_days(first: dt.date, last: dt.date) -> int:
    """Working days from ``first`` to ``last``, both included."""
    n, day = 0, first
    while day <= last:
        n += is_workday(day)
        day += dt.timedelta(days=1)
    return n


def configured_int(key: str, default: int, *, low: int = 1, high: int = 3650) -> int:
    """An administrator-set whole number from core.Setting, or ``default`` when unset or out of range."""
    value = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    if isinstance(value, bool) or not isinstance(value, int | str):
        return default
    try:
        number = int(value)
    except ValueError:
        return default
    return number if low <= number <= high else default
