"""Scheduled jobs of the orgs app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import temporary_branches_expire


@db_periodic_task(crontab(hour="0", minute="10"))
def expire_temporary_branches() -> int:
    """Every night: temporary project branches past their end date release their extra memberships."""
    return temporary_branches_expire()


from . import tasks_work  # noqa: E402,F401  (registers the member-work jobs)
