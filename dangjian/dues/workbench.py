"""Workbench items of the dues app: what a member owes; arrears in a secretary's branches."""

from __future__ import annotations

from typing import Any

from django.db.models import Min, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.scoping import scope_paths
from dangjian.core.workbench import WorkbenchSection, WorkItem, register

from .models import DuesBill
from .periods import month_end
from .services import arrears_counts


@register
def dues_items(user: Any, section: WorkbenchSection) -> None:
    member = getattr(user, "member", None)
    if member is not None:
        unpaid = DuesBill.objects.filter(member=member, status=DuesBill.Status.UNPAID).aggregate(
            total=Sum("amount"), first=Min("period")
        )
        if unpaid["total"]:
            section.todos.append(
                WorkItem(
                    title=_("Pay Party dues: %(amount)s yuan unpaid since %(since)s")
                    % {"amount": unpaid["total"], "since": unpaid["first"].strftime("%Y-%m")},
                    url=reverse("dues:mine"),
                    due=month_end(timezone.localdate()),
                    level="high",
                    module="dues",
                )
            )
    paths = scope_paths(user, "members.manage")
    if paths:
        today = timezone.localdate()
        rows = [r for p in paths[:5] for r in arrears_counts(as_of=today, org_path=p) if r["months"] >= 3]
        if rows:
            section.todos.append(
                WorkItem(
                    title=_("%(n)d members have not paid dues for 3 months or more") % {"n": len(rows)},
                    url=reverse("dues:branch"),
                    level="high",
                    module="dues",
                )
            )
