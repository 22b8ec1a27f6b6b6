"""Scheduled job of points: convert new facts into the ledger every five minutes (set-based, idempotent)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import points_convert


@db_periodic_task(crontab(minute="*/5"))
def convert_facts_to_points() -> int:
    return points_convert(settled_only=True)
