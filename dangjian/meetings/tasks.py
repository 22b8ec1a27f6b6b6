"""Scheduled jobs: the day-before reminder, and reminders to secretaries before a period ends with a meeting missing."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.accounts.models import OrgRole
from dangjian.notices.services import notify

from .compliance import missing_for_reminder, type_label
from .services import meetings_remind_upcoming


@db_periodic_task(crontab(minute="*/30"))
def remind_upcoming_meetings() -> int:
    return meetings_remind_upcoming()


@db_periodic_task(crontab(hour="8", minute="30"))
def remind_missing_meetings() -> int:
    """A week before a month, quarter or year ends, each branch with a required meeting still missing hears of it."""
    sent = 0
    for org, cell, period in missing_for_reminder(today=timezone.localdate()):
        users = [r.user for r in OrgRole.objects.filter(org=org, ended_at__isnull=True).select_related("user")]
        notify(
            recipients=users,
            title=_("%(type)s not yet held in %(period)s (%(held)d of %(req)d)")
            % {"type": type_label(cell.type), "period": period.label, "held": cell.held, "req": cell.required},
            url="/meetings/new/",
            kind="meetings.missing",
        )
        sent += 1
    return sent
