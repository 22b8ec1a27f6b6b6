"""Scheduled dues jobs: the monthly bill run and arrears alerts."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .periods import month_start
from .services import arrears_alert, bills_generate


@db_periodic_task(crontab(day="1", hour="1", minute="0"))
def monthly_bills() -> int:
    return bills_generate(period=month_start(timezone.localdate()))


@db_periodic_task(crontab(day="5", hour="9", minute="0"))
def monthly_arrears_alerts() -> dict[int, int]:
    return arrears_alert(as_of=timezone.localdate())
