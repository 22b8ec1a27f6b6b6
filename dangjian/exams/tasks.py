"""Scheduled jobs of exams: finish attempts whose time ran out, make competition rounds, remind before closing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dangjian.notices.services import notify

from .attempts import attempts_finish_expired
from .competitions import rounds_ensure
from .models import Attempt, Exam
from .services import audience


@db_periodic_task(crontab(minute="*"))
def finish_expired_attempts() -> int:
    """Time-outs are enforced on every request; this submits (or discards) the attempts nobody came back to."""
    return attempts_finish_expired()


@db_periodic_task(crontab(hour="0", minute="5"))
def ensure_competition_rounds() -> int:
    return rounds_ensure()


@db_periodic_task(crontab(hour="9", minute="0"))
def remind_closing_exams() -> int:
    """A day before an exam closes, members of its audience who have not taken it hear of it (remind before)."""
    now = timezone.now()
    sent = 0
    for exam in Exam.objects.filter(
        status=Exam.Status.PUBLISHED,
        competition__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + dt.timedelta(days=1),
    ):
        took = Attempt.objects.filter(exam=exam).values("member_id")
        users = [m.user for m in audience(exam).exclude(pk__in=took).filter(user__isnull=False).select_related("user")]
        notify(
            recipients=users,
            title=_("Exam closes tomorrow: %(t)s") % {"t": exam.title},
            url=f"/exams/{exam.pk}/",
            kind="exams.closing",
        )
        sent += len(users)
    return sent
