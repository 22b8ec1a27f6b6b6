"""Workbench items of learning: where the member left off, required study still open; resources to review."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from dangjian.core.scoping import scope_paths
from dangjian.core.workbench import WorkbenchSection, WorkItem, register

from .models import StudyProgress
from .selectors import review_queue


@register
def learning_items(user: Any, section: WorkbenchSection) -> None:
    member = getattr(user, "member", None)
    if member is not None:
        current = (
            StudyProgress.objects.filter(member=member, completed_at__isnull=True, resource__status="published")
            .select_related("resource")
            .order_by("-last_studied_at", "-started_at")
            .first()
        )
        if current is not None:
            section.todos.append(
                WorkItem(
                    title=_("Continue studying: %(title)s (%(p)d%%)")
                    % {"title": current.resource.title, "p": current.percent},
                    url=reverse("learning:resource", args=[current.resource_id]),
                    module="learning",
                )
            )
        from .maps import map_gaps

        gaps = map_gaps(member)
        if gaps:
            section.todos.append(
                WorkItem(
                    title=_("%(n)d required items open in your learning map") % {"n": len(gaps)},
                    url=reverse("learning:map"),
                    module="learning",
                )
            )
    if scope_paths(user, "orgs.manage"):
        pending = review_queue(user).count()
        if pending:
            section.todos.append(
                WorkItem(
                    title=_("%(n)d learning resources wait for your review") % {"n": pending},
                    url=reverse("learning:review"),
                    level="high",
                    module="learning",
                )
            )
