"""Points writes: converting new facts into the ledger set-based, changing rules, the person-board switch.

The conversion is one INSERT … SELECT per batch of fact ids: facts past the high-water mark are grouped per
member, kind and local (Asia/Shanghai) day, priced by the kind's rule, and capped by LEAST(points, cap − points
already given that day). Idempotent: the mark moves in the same transaction, so a second run finds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import Fact
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import is_global_admin, require_org_perm, scope_paths
from dangjian.orgs.models import Member, Org

from .models import PointsBoardSetting, PointsCursor, PointsEntry, PointsRule

CURSOR = "facts"
BATCH = 500_000


def _day_expr() -> tuple[str, list[Any]]:
    """SQL for the local calendar day of f.occurred_at."""
    if connection.vendor == "postgresql":
        return "(f.occurred_at AT TIME ZONE %s)::date", [settings.TIME_ZONE]
    # SQLite keeps UTC text; China Standard Time has had a fixed offset (no summer time) since 1991.
    offset = dt.datetime(2000, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"date(f.occurred_at, '{minutes:+d} minutes')", []


def _convert_sql() -> tuple[str, list[Any]]:
    day, day_params = _day_expr()
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    entry, rule, fact, member = (
        PointsEntry._meta.db_table,
        PointsRule._meta.db_table,
        Fact._meta.db_table,
        Member._meta.db_table,
    )
    raw = "ROUND(g.quantity / r.unit_size * r.points_per_unit, 2)"
    given = f"COALESCE((SELECT SUM(e.points) FROM {entry} e WHERE e.member_id = g.member_id AND e.kind = g.kind AND e.day = g.day), 0)"
    sql = f"""
        INSERT INTO {entry} (member_id, org_id, org_path, kind, day, points, quantity, facts, first_fact_id, last_fact_id, rule_id, created_at)
        SELECT g.member_id, m.org_id, m.org_path, g.kind, g.day,
               CASE WHEN r.daily_cap IS NULL THEN {raw} ELSE {least}({raw}, {greatest}(r.daily_cap - {given}, 0)) END,
               g.quantity, g.facts, g.first_id, g.last_id, r.id, %s
        FROM (
            SELECT f.member_id AS member_id, f.kind AS kind, {day} AS day, SUM(f.quantity) AS quantity, COUNT(*) AS facts,
                   MIN(f.id) AS first_id, MAX(f.id) AS last_id
            FROM {fact} f
            WHERE f.id > %s AND f.id <= %s AND f.kind IN (SELECT kind FROM {rule} WHERE is_active)
            GROUP BY 1, 2, 3
        ) g
        JOIN {rule} r ON r.kind = g.kind AND r.is_active
        JOIN {member} m ON m.id = g.member_id
    """
    return sql, day_params


@transaction.atomic
def points_convert_batch(*, batch: int = BATCH, settled_only: bool = False) -> tuple[int, int, int]:
    """Convert the next batch of facts; returns (entries written, facts covered up to id, facts still waiting).

    ``settled_only`` (the scheduled job, on PostgreSQL): go no further than the maximum id the previous run
    saw, so that no fact still being committed under a lower id is skipped for good.
    """
    PointsCursor.objects.get_or_create(name=CURSOR)
    cursor_row = PointsCursor.objects.select_for_update().get(name=CURSOR)
    current = Fact.objects.aggregate(m=Max("id"))["m"] or 0
    high = min(current, cursor_row.seen_high) if settled_only and connection.vendor == "postgresql" else current
    if cursor_row.seen_high != current:
        cursor_row.seen_high = current
        cursor_row.save(update_fields=["seen_high", "updated_at"])
    low = cursor_row.last_fact_id
    if high <= low:
        return 0, low, 0
    upto = min(high, low + batch)
    sql, day_params = _convert_sql()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *day_params, low, upto])
        written = max(cursor.rowcount, 0)
    cursor_row.last_fact_id = upto
    cursor_row.save(update_fields=["last_fact_id", "updated_at"])
    return written, upto, high - upto


def points_convert(
    *, batch: int = BATCH, progress: Callable[[int, int], None] | None = None, settled_only: bool = False
) -> int:
    """The job: convert every fact past the mark, batch by batch (each its own transaction). Returns entries written."""
    total = 0
    while True:
        written, upto, waiting = points_convert_batch(batch=batch, settled_only=settled_only)
        total += written
        if progress is not None:
            progress(upto, waiting)
        if not waiting:
            return total


# --- rules and settings --------------------------------------------------------------------------


def can_edit_rules(user: Any) -> bool:
    """Rules are enterprise-wide: the system administrator or a committee administrator of a top org."""
    return is_global_admin(user) or any(len(p) == Org.steplen for p in scope_paths(user, "orgs.manage"))


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


@transaction.atomic
def rule_save(
    *,
    kind: str,
    name: str,
    points_per_unit: Decimal,
    unit_size: Decimal = Decimal(1),
    daily_cap: Decimal | None = None,
    is_active: bool = True,
    acting_user: Any,
) -> PointsRule:
    """Create or change the rule of a fact kind. Applies to facts converted from now on."""
    if not can_edit_rules(acting_user):
        raise DomainError(_("Only the enterprise's committee administrators change points rules."), status=404)
    if not kind or len(kind) > 48:
        raise _err("kind", _("Choose a kind of fact."))
    if not name.strip():
        raise _err("name", _("Give the rule a name."))
    if not Decimal("-1000") <= points_per_unit <= Decimal("1000"):
        raise _err("points_per_unit", _("Points per unit run from -1000 to 1000."))
    if unit_size <= 0:
        raise _err("unit_size", _("The unit size must be more than 0."))
    if daily_cap is not None and daily_cap < 0:
        raise _err("daily_cap", _("The daily cap cannot be negative."))
    rule = PointsRule.objects.filter(kind=kind).first()
    fields = ["name", "points_per_unit", "unit_size", "daily_cap", "is_active"]
    before = {f: getattr(rule, f) for f in fields} if rule else None
    rule = rule or PointsRule(kind=kind)
    rule.name, rule.points_per_unit, rule.unit_size, rule.daily_cap, rule.is_active = (
        name.strip(),
        points_per_unit,
        unit_size,
        daily_cap,
        is_active,
    )
    rule.updated_by = acting_user
    rule.save()
    audit(acting_user, "points.rule_save", rule, before=before, after={f: getattr(rule, f) for f in fields})
    return rule


@transaction.atomic
def board_set_persons(*, org: Org, show: bool, acting_user: Any) -> PointsBoardSetting:
    """Turn the leaderboard of persons on or off for an org's members (off unless an administrator turns it on)."""
    require_org_perm(acting_user, org, "members.manage")
    setting, _created = PointsBoardSetting.objects.get_or_create(org=org)
    before = setting.show_persons
    setting.show_persons, setting.updated_by = show, acting_user
    setting.save()
    audit(
        acting_user,
        "points.board_persons",
        setting,
        org_path=org.path,
        before={"show_persons": before},
        after={"show_persons": show},
    )
    return setting
