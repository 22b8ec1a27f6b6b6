"""Points reads: a member's total, by kind and history (down to the facts behind an entry); leaderboards of
branches and, where turned on, of persons — ranked in the database with RANK() OVER."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, Rank
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import Fact, FactKind
from dangjian.orgs.models import ACTIVE_STATUSES, Member, Org

from .models import PointsBoardSetting, PointsEntry, PointsRule

ZERO = Decimal("0.00")


def kind_label(kind: str) -> str:
    labels: dict[str, Any] = {
        FactKind.MEETING_ATTENDED: _("Attended organisational life"),
        FactKind.LECTURE_GIVEN: _("Gave a Party lecture"),
        FactKind.DUES_PAID_ON_TIME: _("Paid dues on time"),
        FactKind.STUDY_SECONDS: _("Study time"),
        FactKind.RESOURCE_COMPLETED: _("Completed a course or article"),
        FactKind.EXAM_SCORE: _("Exam score"),
        FactKind.EXAM_PASSED: _("Passed an exam"),
        FactKind.CHALLENGE_CORRECT: _("Challenge answers"),
        FactKind.TASK_DONE: _("Task done"),
        FactKind.VOLUNTEER_HOURS: _("Volunteer service"),
        FactKind.LOGIN: _("Signed in"),
    }
    return str(labels.get(kind, kind))


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def member_total(member: Member, *, since: dt.date | None = None, until: dt.date | None = None) -> Decimal:
    qs = PointsEntry.objects.filter(member=member)
    if since:
        qs = qs.filter(day__gte=since)
    if until:
        qs = qs.filter(day__lt=until)
    return qs.aggregate(t=Coalesce(Sum("points"), Value(ZERO)))["t"]


def member_by_kind(member: Member, *, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    rows = (
        PointsEntry.objects.filter(member=member, day__gte=since, day__lt=until)
        .values("kind")
        .annotate(points=Sum("points"), quantity=Sum("quantity"), facts=Sum("facts"))
        .order_by("-points")
    )
    return [r | {"label": kind_label(r["kind"])} for r in rows]


def member_history(member: Member) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(member=member).select_related("rule").order_by("-day", "-id")


def entry_facts(entry: PointsEntry, limit: int = 200) -> list[Fact]:
    """The facts behind one ledger entry: same member and kind, ids in its range, occurred on its local day."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(entry.day, dt.time(), tz)
    return list(
        Fact.objects.filter(
            member_id=entry.member_id,
            kind=entry.kind,
            id__gte=entry.first_fact_id,
            id__lte=entry.last_fact_id,
            occurred_at__gte=start,
            occurred_at__lt=start + dt.timedelta(days=1),
        ).order_by("occurred_at")[:limit]
    )


def rules() -> list[PointsRule]:
    return list(PointsRule.objects.order_by("kind"))


def board_root_for_member(member: Member) -> Org:
    """A member's board compares their branch with its sister branches: the branch's parent (or the branch at the top)."""
    org = Org.objects.get(pk=member.org_id)
    if org.kind == Org.Kind.GROUP:
        org = org.get_parent() or org
    return org.get_parent() or org


def branch_board(root: Org, *, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    """The orgs directly under ``root`` (each with its whole subtree: a branch with its Party groups) ranked by
    points per active member over [since, until) — one statement, ranked with RANK() OVER."""
    unit_len = len(root.path) + Org.steplen
    entry, member, org = PointsEntry._meta.db_table, Member._meta.db_table, Org._meta.db_table
    per_head = "COALESCE(p.total, 0) * 1.0 / (CASE WHEN COALESCE(h.size, 0) > 0 THEN h.size ELSE 1 END)"
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    sql = f"""
        WITH pts AS (
            SELECT substr(e.org_path, 1, %s) AS unit, SUM(e.points) AS total, COUNT(DISTINCT e.member_id) AS earners
            FROM {entry} e WHERE e.org_path LIKE %s AND length(e.org_path) >= %s AND e.day >= %s AND e.day < %s GROUP BY 1
        ), heads AS (
            SELECT substr(m.org_path, 1, %s) AS unit, COUNT(*) AS size
            FROM {member} m WHERE m.org_path LIKE %s AND length(m.org_path) >= %s AND m.status IN ({statuses}) GROUP BY 1
        )
        SELECT o.id, o.name, COALESCE(p.total, 0), COALESCE(p.earners, 0), COALESCE(h.size, 0), {per_head},
               RANK() OVER (ORDER BY {per_head} DESC)
        FROM {org} o LEFT JOIN pts p ON p.unit = o.path LEFT JOIN heads h ON h.unit = o.path
        WHERE o.path LIKE %s AND o.depth = %s AND o.ended_at IS NULL
        ORDER BY 7, 2
    """
    like = root.path + "%"
    params = [
        unit_len,
        like,
        unit_len,
        since,
        until,
        unit_len,
        like,
        unit_len,
        *[str(s) for s in ACTIVE_STATUSES],
        like,
        root.depth + 1,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    cent = Decimal("0.01")
    return [
        {
            "org_id": o,
            "name": name,
            "total": Decimal(str(total)).quantize(cent),
            "earners": earners,
            "size": size,
            "per_head": Decimal(str(head)).quantize(cent),
            "rank": rank,
        }
        for o, name, total, earners, size, head, rank in rows
    ]


def persons_shown(org: Org) -> bool:
    """Is the leaderboard of persons turned on for this org or one above it?"""
    from dangjian.exams.selectors import ancestor_paths

    return PointsBoardSetting.objects.filter(org__path__in=ancestor_paths(org.path), show_persons=True).exists()


def person_board(org: Org, *, since: dt.date, until: dt.date, limit: int = 50) -> list[dict[str, Any]]:
    """Members of ``org``'s subtree ranked by points over [since, until) (call only where persons are shown)."""
    rows = (
        PointsEntry.objects.filter(org_path__startswith=org.path, day__gte=since, day__lt=until)
        .values("member_id", "member__name")
        .annotate(total=Sum("points"))
        .annotate(rank=Window(expression=Rank(), order_by=F("total").desc()))
        .order_by("rank", "member__name")[:limit]
    )
    return [
        {"member_id": r["member_id"], "name": r["member__name"], "total": r["total"], "rank": r["rank"]} for r in rows
    ]
