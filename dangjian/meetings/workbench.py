"""Workbench items of the meetings app: my next meetings; missing required meetings for secretaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.scoping import orgs_visible_to, scope_paths
from dangjian.core.workbench import WorkbenchSection, WorkItem, register

from .compliance import compliance_grid, period_of, type_label
from .models import Attendance, Meeting


@register
def meeting_items(user: Any, section: WorkbenchSection) -> None:
    member = getattr(user, "member", None)
    now = timezone.now()
    if member is not None:
        upcoming = (
            Attendance.objects.filter(
                member=member,
                meeting__starts_at__gte=now - dt.timedelta(hours=3),
                meeting__status=Meeting.Status.PLANNED,
            )
            .select_related("meeting")
            .order_by("meeting__starts_at")[:3]
        )
        for a in upcoming:
            section.todos.append(
                WorkItem(
                    title=_("%(type)s: %(topic)s, %(when)s")
                    % {
                        "type": a.meeting.get_type_display(),
                        "topic": a.meeting.topic,
                        "when": timezone.localtime(a.meeting.starts_at).strftime("%m-%d %H:%M"),
                    },
                    url=reverse("meetings:detail", args=[a.meeting_id]),
                    due=timezone.localtime(a.meeting.starts_at).date(),
                    module="meetings",
                )
            )
    if scope_paths(user, "members.manage"):
        today = timezone.localdate()
        branches = (
            orgs_visible_to(user, "members.manage")
            .filter(kind__in=["branch", "general_branch"], ended_at__isnull=True)
            .order_by("path")[:5]
        )
        for kind in ("month", "quarter"):
            period = period_of(kind, today)
            for b in branches:
                for row in compliance_grid(root=b, period=period, branches=[b]):
                    for cell in row.cells:
                        if cell.required and cell.held + cell.planned < cell.required and _due_kind(cell.type) == kind:
                            section.deadlines.append(
                                WorkItem(
                                    title=_("%(branch)s: %(type)s still missing this %(period)s")
                                    % {"branch": b.name, "type": type_label(cell.type), "period": period.label},
                                    url=reverse("meetings:new"),
                                    due=period.end - dt.timedelta(days=1),
                                    level="high",
                                    module="meetings",
                                )
                            )


def _due_kind(t: str) -> str:
    from .compliance import frequencies

    return frequencies()[t]
