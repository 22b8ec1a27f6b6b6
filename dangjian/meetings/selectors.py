"""Reads of meetings through core.scoping: a member's own meetings, a branch's meetings."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core.scoping import is_global_admin, path_q, scope_paths

from .models import Attendance, Meeting


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    """Meetings of orgs the user governs, plus those the user is invited to."""
    if is_global_admin(user):
        return Meeting.objects.all()
    q = path_q(scope_paths(user, "members.view"))
    member = getattr(user, "member", None)
    if member is not None:
        q |= Q(attendances__member=member)
    return Meeting.objects.filter(q).distinct()


def meetings_managed_by(user: Any) -> QuerySet[Meeting]:
    if is_global_admin(user):
        return Meeting.objects.all()
    return Meeting.objects.filter(path_q(scope_paths(user, "members.manage")))


def my_attendance(user: Any, meeting: Meeting) -> Attendance | None:
    member = getattr(user, "member", None)
    if member is None:
        return None
    return Attendance.objects.filter(meeting=meeting, member=member).first()
