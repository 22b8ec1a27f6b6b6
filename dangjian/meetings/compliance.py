"""The compliance calendar (enter once, report never): which required meetings each branch has held,
planned or missed in a period, computed from the meetings themselves with one GROUP BY."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
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
    return {**DEFAULT_FREQUENCIES, **{k: v for k, v in stored.items() if k in DEFAULT_FREQUENCIES and v in (*PERIOD_KINDS, "off")}}


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
        return (dt.datetime.combine(self.start, dt.time.min, tzinfo=tz), dt.datetime.combine(self.end, dt.time.min, tzinfo=tz))

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
    type: str
    required: int
    held: int = 0
    planned: int = 0

    @property
    def colour(self) -> str:
        if self.required == 0:
            return "grey"
        if self.held >= self.required:
            return "green"
        if self.held + self.planned >= self.required:
            return "yellow"
        return "red"


@dataclass
class BranchRow:
    org: Org
    cells: list[Cell] = field(default_factory=list)

    @property
    def colour(self) -> str:
        colours = {c.colour for c in self.cells}
        return "red" if "red" in colours else "yellow" if "yellow" in colours else "green"


def compliance_grid(*, root: Org, period: Period, branches: Any = None) -> list[BranchRow]:
    """Per branch under ``root``: required vs held vs planned for every meeting type, in three queries."""
    freq = frequencies()
    branch_list = list(branches if branches is not None else Org.objects.filter(
        path__startswith=root.path, kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH], ended_at__isnull=True).order_by("path"))
    start, end = period.bounds()
    counts = (Meeting.objects.filter(org_path__startswith=root.path, starts_at__gte=start, starts_at__lt=end)
              .exclude(status=Meeting.Status.CANCELLED).values("org_path", "type")
              .annotate(held=Count("id", filter=Q(status=Meeting.Status.HELD)), planned=Count("id", filter=Q(status=Meeting.Status.PLANNED))))
    with_committee = set(OrgPost.objects.filter(org__in=branch_list, ended_on__isnull=True).values("org_id").annotate(n=Count("id")).filter(n__gte=3).values_list("org_id", flat=True))
    groups = dict(Org.objects.filter(path__startswith=root.path, kind=Org.Kind.GROUP).values("path").annotate(n=Count("id")).values_list("path", "n"))
    by_branch: dict[str, dict[str, list[int]]] = {}
    branch_paths = sorted((b.path for b in branch_list), key=len, reverse=True)
    for c in counts:
        owner = next((p for p in branch_paths if c["org_path"].startswith(p)), None)
        if owner is None:
            continue
        slot = by_branch.setdefault(owner, {}).setdefault(c["type"], [0, 0])
        slot[0] += c["held"]
        slot[1] += c["planned"]
    rows = []
    for b in branch_list:
        n_groups = sum(n for p, n in groups.items() if p.startswith(b.path))
        row = BranchRow(org=b)
        for t in MeetingType.values:
            need = required_count(freq[t], period)
            if t == MeetingType.COMMITTEE and b.pk not in with_committee:
                need = 0  # a branch with a secretary only has no committee meetings
            if t == MeetingType.GROUP:
                need *= n_groups
            held, planned = by_branch.get(b.path, {}).get(t, [0, 0])
            row.cells.append(Cell(type=t, required=need, held=held, planned=planned))
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
                    if DEFAULT_FREQUENCIES.get(cell.type) == kind and frequencies()[cell.type] == kind and cell.held < cell.required:
                        out.append((row.org, cell, period))
    return out


def type_label(t: str) -> str:
    return str(MeetingType(t).label)


def summary_rows(grid: list[BranchRow]) -> list[list[Any]]:
    """Rows for the upward report: branch, then held/required per type, then the overall state."""
    state = {"green": _("Complete"), "yellow": _("Planned"), "red": _("Missing"), "grey": "—"}
    return [[r.org.name, *[f"{c.held}/{c.required}" if c.required else "—" for c in r.cells], state[r.colour]] for r in grid]
