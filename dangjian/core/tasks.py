"""Scheduled jobs of the shared kernel."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .models import AuditEvent


def audit_purge_expired(now: dt.datetime | None = None) -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS (never less than 6 months, 网络安全法 §21)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=max(settings.AUDIT_RETENTION_DAYS, 183))
    # A raw delete: AuditEvent.delete() refuses single deletions, the retention job is the one exception.
    return int(AuditEvent.objects.filter(created_at__lt=cutoff)._raw_delete(AuditEvent.objects.db) or 0)  # type: ignore[attr-defined]


@db_periodic_task(crontab(hour="3", minute="30"))
def purge_audit_events() -> int:
    return audit_purge_expired()
