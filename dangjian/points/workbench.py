"""Workbench items of points: a member's points this year (one aggregate query)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.workbench import WorkbenchSection, register

from .selectors import member_total, year_bounds


@register
def points_items(user: Any, section: WorkbenchSection) -> None:
    member = getattr(user, "member", None)
    if member is None:
        return
    since, until = year_bounds(timezone.localdate().year)
    total = member_total(member, since=since, until=until)
    section.stats.append(
        (
            _("My points this year"),
            f"{total:.0f}" if total == total.to_integral() else f"{total}",
            reverse("points:mine"),
        )
    )
