"""Scheduled jobs of analytics: keep monthly partitions of the facts table ahead of time (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .models import Fact

logger = logging.getLogger(__name__)

# Must match migration 0002_partition_facts: partitions are calendar months in China Standard Time.
PARTITION_TIME_ZONE = ZoneInfo("Asia/Shanghai")
MONTHS_AHEAD = 24


def _month_start(year: int, month: int) -> dt.datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.datetime(year, month, 1, tzinfo=PARTITION_TIME_ZONE)


def fact_partitions_ensure(*, months: int = MONTHS_AHEAD, today: dt.date | None = None) -> list[str]:
    """Create the monthly partitions of analytics_fact for this month and the next ``months`` - 1 when missing.

    Returns the names created. Does nothing on SQLite or when the table is not partitioned. A month whose
    rows already sit in the DEFAULT partition cannot get its own partition; it is logged and skipped.
    """
    connection = connections[router.db_for_write(Fact)]
    if connection.vendor != "postgresql":
        return []
    table = Fact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        if cursor.fetchone() is None:
            return []
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        existing = {row[0] for row in cursor.fetchall()}
    today = today or timezone.localdate(timezone.now(), PARTITION_TIME_ZONE)
    created = []
    for offset in range(months):
        start = _month_start(today.year, today.month + offset)
        name = f"{table}_p{start:%Y%m}"
        if name in existing:
            continue
        end = _month_start(start.year, start.month + 1)
        quote = connection.ops.quote_name
        sql = (
            f"CREATE TABLE {quote(name)} PARTITION OF {quote(table)} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(sql)
        except DatabaseError:
            logger.warning(
                "could not create partition %s (rows for that month already in the default partition?)",
                name,
                exc_info=True,
            )
            continue
        created.append(name)
    return created


@db_periodic_task(crontab(hour="4", minute="15"))
def ensure_fact_partitions() -> list[str]:
    return fact_partitions_ensure()
