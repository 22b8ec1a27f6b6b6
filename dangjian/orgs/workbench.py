"""Workbench items of the orgs app: branch-rule warnings and term deadlines for those who govern orgs."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from dangjian.core.scoping import members_visible_to, orgs_visible_to, user_has_any_org_role
from dangjian.core.workbench import WorkbenchSection, WorkItem, register

from .models import MemberStatus
from .selectors import branch_warnings

MAX_ITEMS = 8


@register
def org_items(user: Any, section: WorkbenchSection) -> None:
    if user_has_any_org_role(user):
        counts = dict(members_visible_to(user).values_list("status").annotate(n=Count("id")))
        section.stats += [
            (_("Full members"), counts.get(MemberStatus.FULL, 0), f"{reverse('orgs:member_list')}?status=full"),
            (
                _("Probationary members"),
                counts.get(MemberStatus.PROBATIONARY, 0),
                f"{reverse('orgs:member_list')}?status=probationary",
            ),
            (
                _("Applicants and activists"),
                sum(counts.get(s, 0) for s in (MemberStatus.APPLICANT, MemberStatus.ACTIVIST, MemberStatus.CANDIDATE)),
                reverse("orgs:member_list"),
            ),
        ]
        for w in branch_warnings(orgs_visible_to(user))[:MAX_ITEMS]:
            item = WorkItem(
                title=f"{w.org.name}：{w.message}",
                url=reverse("orgs:org_detail", args=[w.org.pk]),
                due=w.org.term_end if w.code.startswith("term") else None,
                level="high" if w.level == "red" else "info",
                module="orgs",
            )
            (section.deadlines if item.due else section.todos).append(item)
