"""Workbench items of member work: transfers to act on, contact decisions due, development deadlines; and for a
member, where their own transfer or application stands."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.scoping import members_visible_to, user_has_any_org_role
from dangjian.core.workbench import WorkbenchSection, WorkItem, register

from .models_development import STEPS, DevelopmentCase
from .models_transfer import ContactWarning, Transfer
from .selectors_work import cases_visible_to
from .transfers import transfers_awaiting

MAX_ITEMS = 6
AHEAD_DAYS = 14


@register
def member_work_items(user: Any, section: WorkbenchSection) -> None:
    if not getattr(user, "is_authenticated", False):
        return
    today = timezone.localdate()
    if user_has_any_org_role(user):
        waiting = transfers_awaiting(user).count()
        if waiting:
            section.todos.append(
                WorkItem(
                    title=_("%(n)d transfers await your action") % {"n": waiting},
                    url=f"{reverse('orgs:transfer_list')}?awaiting=1",
                    level="high",
                    module="orgs",
                )
            )
        warnings = ContactWarning.objects.filter(
            member__in=members_visible_to(user, "members.manage"), decided_on__isnull=True
        ).count()
        if warnings:
            section.todos.append(
                WorkItem(
                    title=_("%(n)d decisions on members away or out of contact") % {"n": warnings},
                    url=reverse("orgs:contact"),
                    level="high",
                    module="orgs",
                )
            )
        due = (
            cases_visible_to(user, "members.manage")
            .filter(status=DevelopmentCase.Status.OPEN, due_on__lte=today + dt.timedelta(days=AHEAD_DAYS))
            .select_related("member")
            .order_by("due_on", "id")[:MAX_ITEMS]
        )
        for case in due:
            section.deadlines.append(
                WorkItem(
                    title=_("%(name)s: %(step)s")
                    % {"name": case.member.name, "step": STEPS.get(case.due_step or 0, "")},
                    url=reverse("orgs:development_case", args=[case.pk]),
                    due=case.due_on,
                    level="high" if case.due_on and case.due_on < today else "info",
                    module="orgs",
                )
            )
    own = getattr(user, "member", None)
    if own is None:
        return
    transfer = Transfer.objects.filter(member=own, status__in=Transfer.OPEN).first()
    if transfer is not None:
        section.todos.append(
            WorkItem(
                title=_("My transfer: %(status)s") % {"status": transfer.get_status_display()},
                url=reverse("orgs:transfer_detail", args=[transfer.pk]),
                module="orgs",
            )
        )
    mine = DevelopmentCase.objects.filter(member=own, status=DevelopmentCase.Status.OPEN).first()
    if mine is not None and mine.next_step:
        section.todos.append(
            WorkItem(
                title=_("My application: next, step %(n)d · %(label)s")
                % {"n": mine.next_step, "label": STEPS[mine.next_step]},
                url=reverse("orgs:development_mine"),
                module="orgs",
            )
        )
