"""Workbench items of exams: open exams a member has not taken (or left unfinished), soonest closing first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.workbench import WorkbenchSection, WorkItem, register

from .models import Attempt
from .selectors import my_open_exams


@register
def exam_items(user: Any, section: WorkbenchSection) -> None:
    member = getattr(user, "member", None)
    if member is None:
        return
    now = timezone.now()
    exams = my_open_exams(member, now)[:10]
    if not exams:
        return
    taken = dict(Attempt.objects.filter(member=member, exam__in=exams).values_list("exam_id", "status"))
    for exam in exams:
        status = taken.get(exam.pk)
        if status == Attempt.Status.SUBMITTED or status == Attempt.Status.ABANDONED:
            continue
        title = (_("Exam in progress: %(t)s") if status == Attempt.Status.IN_PROGRESS else _("Exam: %(t)s")) % {
            "t": exam.title
        }
        section.todos.append(
            WorkItem(
                title=title,
                url=reverse("exams:detail", args=[exam.pk]),
                due=timezone.localtime(exam.closes_at).date(),
                level="high" if exam.closes_at - now < dt.timedelta(days=1) else "info",
                module="exams",
            )
        )
