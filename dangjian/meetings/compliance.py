"""The compliance calendar (enter once, report never): which required meetings each branch has held,
planned or missed in a period, computed from the meetings themselves with one GROUP BY."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.models import Setting
from dangjian.orgs.models import Org, OrgPost

from .models import Meeting, MeetingType

# Required frequency per type (支部工作条例, DOMAIN.md); configurable through core.Setting "meetings.frequencies".
DEFAULT_FREQUENCIES: dict[str, str] = {
    MeetingType.GENERAL: "quarter",
    MeetingType.COMMITTEE: "month",
    MeetingType.GROUP: "month",
    MeetingType.THEME_DAY: "month",
    MeetingType.LECTURE: "quarter",
    MeetingType.ORG_LIFE: "year",
    MeetingType.REVIEW: "year",
}
PERIOD_KINDS = ("month", "quarter", "year")


def frequencies() -> dict[str, str]:
    stored = Setting.objects.filter(key="meetings.frequencies").values_list("value", flat=True).first() or {}
    return {
        **DEFAULT_FREQUENCIES,
        **{k: v for k, v in stored.items() if k in DEFAULT_FREQUENCIES and v in (*PERIOD_KINDS, "off")},
    }


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year
    start: dt.date
    end: dt.date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period in local time (Asia/Shanghai) as aware datetimes: a meeting at 23:30 on 31 March
        Beijing time belongs to Q1 whatever the server's clock zone."""
        tz = timezone.get_default_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=tz),
        )

    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month


def period_of(kind: str, day: dt.date) -> Period:
    if kind == "year":
        return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1))
    if kind == "quarter":
        first = (day.month - 1) // 3 * 3 + 1
        start = dt.date(day.year, first, 1)
    else:
        start = dt.date(day.year, day.month, 1)
    months = 3 if kind == "quarter" else 1
    index = start.year * 12 + start.month - 1 + months
    return Period(kind, start, dt.date(index // 12, index % 12 + 1, 1))


def required_count(freq: str, period: Period) -> int:
    """How many meetings of a frequency a period needs: a quarter needs 3 monthly meetings, a year 4 quarterly."""
    if freq == "off":
        return 0
    return period.months() // {"month": 1, "quarter": 3, "year": 12}[freq]


@dataclass
class Cell:
    """One meeting type for one branch in a period, counted in units of its frequency (months, quarters, years;
    for group meetings, one unit per group and month): how many are required, held, planned, and already due."""

    type: str
    required: int
    held: int = 0
    planned: int = 0
    due: int = 0  # units whose time is over: a missing one of these is red

    @property
    def colour(self) -> str:
        if self.required == 0:
            return "grey"
        if self.held >= self.required:
            return "green"
        if self.held < min(self.due, self.required):
            return "red"
        return "yellow"  # on track: the rest is planned or its time has not come


@dataclass
class BranchRow:
    org: Org
    cells: list[Cell] = field(default_factory=list)

    @property
    def colour(self) -> str:
        colours = {c.colour for c in self.cells}
        return "red" if "red" in colours else "yellow" if "yellow" in colours else "green"


def _unit(freq: str, year: int, month: int) -> tuple[int, int]:
    if freq == "month":
        return (year, month)
    if freq == "quarter":
        return (year, (month - 1) // 3 + 1)
    return (year, 0)


def _units_in(freq: str, period: Period, today: dt.date) -> tuple[int, int]:
    """(units required in the period, units of them already over by ``today``)."""
    need = required_count(freq, period)
    if need == 0:
        return 0, 0
    size = {"month": 1, "quarter": 3, "year": 12}[freq]
    due = 0
    index = period.start.year * 12 + period.start.month - 1
    for k in range(need):
        end_index = index + (k + 1) * size
        if dt.date(end_index // 12, end_index % 12 + 1, 1) <= today:
            due += 1
    return need, due


def compliance_grid(
    *, root: Org, period: Period, branches: Any = None, today: dt.date | None = None
) -> list[BranchRow]:
    """Per branch under ``root``: required, held, planned and due for every meeting type, in four queries.

    A monthly requirement is met by a meeting in *each* month (two in March do not make up for none in
    February); group meetings are required of each Party group.
    """
    today = today or timezone.localdate()
    freq = frequencies()
    branch_list = list(
        branches
        if branches is not None
        else Org.objects.filter(
            path__startswith=root.path,
            kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH],
            ended_at__isnull=True,
            is_cloud=False,
        ).order_by("path")
    )
    start, end = period.bounds()
    tz = timezone.get_default_timezone()
    buckets = (
        Meeting.objects.filter(org_path__startswith=root.path, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Meeting.Status.CANCELLED)
        .values("org_path", "type", "audience_group_id", month=TruncMonth("starts_at", tzinfo=tz))
        .annotate(
            held=Count("id", filter=Q(status=Meeting.Status.HELD)),
            planned=Count("id", filter=Q(status=Meeting.Status.PLANNED)),
        )
    )
    with_committee = set(
        OrgPost.objects.filter(org__in=branch_list, ended_on__isnull=True)
        .values("org_id")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .values_list("org_id", flat=True)
    )
    group_counts: dict[str, int] = {}
    for path in Org.objects.filter(path__startswith=root.path, kind=Org.Kind.GROUP, ended_at__isnull=True).values_list(
        "path", flat=True
    ):
        for k in range(len(path) - Org.steplen, 0, -Org.steplen):
            group_counts[path[:k]] = group_counts.get(path[:k], 0) + 1
    branch_paths = {b.path for b in branch_list}
    held: dict[tuple[str, str], set[tuple[Any, ...]]] = {}
    planned: dict[tuple[str, str], set[tuple[Any, ...]]] = {}
    for bucket in buckets:
        path = bucket["org_path"]
        owner = next((path[:k] for k in range(len(path), 0, -Org.steplen) if path[:k] in branch_paths), None)
        if owner is None:
            continue
        month, kind = bucket["month"], bucket["type"]
        unit = (
            bucket["audience_group_id"] if kind == MeetingType.GROUP else None,
            *_unit(freq[kind] if freq[kind] != "off" else "year", month.year, month.month),
        )
        if bucket["held"]:
            held.setdefault((owner, kind), set()).add(unit)
        if bucket["planned"]:
            planned.setdefault((owner, kind), set()).add(unit)
    units = {t: _units_in(freq[t], period, today) for t in MeetingType.values}
    rows = []
    for b in branch_list:
        row = BranchRow(org=b)
        for t in MeetingType.values:
            need, due = units[t]
            if t == MeetingType.COMMITTEE and b.pk not in with_committee:
                need = due = 0  # a branch with a secretary only has no committee meetings
            if t == MeetingType.GROUP:
                n = group_counts.get(b.path, 0)
                need, due = need * n, due * n
            h = held.get((b.path, t), set())
            p = planned.get((b.path, t), set()) - h
            row.cells.append(
                Cell(type=t, required=need, held=min(len(h), need) if need else len(h), planned=len(p), due=due)
            )
        rows.append(row)
    return rows


def missing_for_reminder(*, today: dt.date, days_before: int = 7) -> list[tuple[Org, Cell, Period]]:
    """Branches whose current period ends within ``days_before`` days with a required meeting still missing."""
    out = []
    for kind in PERIOD_KINDS:
        period = period_of(kind, today)
        if (period.end - today).days not in (days_before, 2):  # a week before, and again two days before
            continue
        roots = Org.objects.filter(depth=1)
        for root in roots:
            for row in compliance_grid(root=root, period=period):
                for cell in row.cells:
                    if (
                        DEFAULT_FREQUENCIES.get(cell.type) == kind
                        and frequencies()[cell.type] == kind
                        and cell.held < cell.required
                    ):
                        out.append((row.org, cell, period))
    return out


def type_label(t: str) -> str:
    return str(MeetingType(t).label)


def summary_rows(grid: list[BranchRow]) -> list[list[Any]]:
    """Rows for the upward report: branch, then held/required per type, then the overall state."""
    state = {"green": _("Complete"), "yellow": _("Planned"), "red": _("Missing"), "grey": "—"}
    return [
        [r.org.name, *[f"{c.held}/{c.required}" if c.required else "—" for c in r.cells], state[r.colour]] for r in grid
    ]
