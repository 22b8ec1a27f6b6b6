"""API for the phone: my meetings, sign-in with the QR token, leave requests, minutes of meetings I attended."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, has_org_perm

from . import services
from .models import Attendance
from .selectors import meetings_visible_to, my_attendance

router = Router(tags=["meetings"])


class MyMeetingOut(Schema):
    id: int
    type: str
    type_label: str
    topic: str
    starts_at: dt.datetime
    place: str
    online_link: str
    org_name: str
    meeting_status: str
    my_status: str


class MyMeetingsOut(Schema):
    items: list[MyMeetingOut]
    count: int


def _member(request: HttpRequest) -> Any:
    member = getattr(request.user, "member", None)
    if member is None:
        raise DomainError(_("Only Party members have meetings."), status=404)
    return member


@router.get("/mine", response=MyMeetingsOut)
def my_meetings(
    request: HttpRequest, upcoming: bool = False, page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=200)
) -> dict[str, Any]:  # type: ignore[type-arg]
    from django.utils import timezone

    qs = (
        Attendance.objects.filter(member=_member(request))
        .select_related("meeting", "meeting__org")
        .order_by("-meeting__starts_at")
    )
    if upcoming:
        qs = qs.filter(meeting__starts_at__gte=timezone.now()).order_by("meeting__starts_at")
    start = (page - 1) * page_size
    items = [
        MyMeetingOut(
            id=a.meeting_id,
            type=a.meeting.type,
            type_label=str(a.meeting.get_type_display()),
            topic=a.meeting.topic,
            starts_at=a.meeting.starts_at,
            place=a.meeting.place,
            online_link=a.meeting.online_link,
            org_name=a.meeting.org.name,
            meeting_status=a.meeting.status,
            my_status=a.status,
        )
        for a in qs[start : start + page_size]
    ]
    return {"items": items, "count": qs.count()}


class SignInIn(Schema):
    token: str = Field(min_length=1, max_length=64)


class AttendanceOut(Schema):
    meeting_id: int
    status: str
    signed_in_at: dt.datetime | None


@router.post("/{meeting_id}/sign-in", response=AttendanceOut)
def sign_in(request: HttpRequest, meeting_id: int, payload: SignInIn) -> AttendanceOut:
    meeting = get_or_404(meetings_visible_to(request.user), pk=meeting_id)
    att = services.attendance_sign_in(meeting=meeting, member=_member(request), token=payload.token)
    return AttendanceOut(meeting_id=meeting.pk, status=att.status, signed_in_at=att.signed_in_at)


class LeaveIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/{meeting_id}/leave", response=AttendanceOut)
def leave(request: HttpRequest, meeting_id: int, payload: LeaveIn) -> AttendanceOut:
    meeting = get_or_404(meetings_visible_to(request.user), pk=meeting_id)
    att = services.leave_request(meeting=meeting, member=_member(request), reason=payload.reason)
    return AttendanceOut(meeting_id=meeting.pk, status=att.status, signed_in_at=att.signed_in_at)


class MinutesOut(Schema):
    id: int
    topic: str
    starts_at: dt.datetime
    minutes: str
    decisions: str
    motions: list[dict[str, Any]]


@router.get("/{meeting_id}/minutes", response=MinutesOut)
def minutes(request: HttpRequest, meeting_id: int) -> MinutesOut:
    """Minutes of a meeting the caller attended (or governs)."""
    meeting = get_or_404(meetings_visible_to(request.user).select_related("org"), pk=meeting_id)
    mine = my_attendance(request.user, meeting)
    if not (
        has_org_perm(request.user, meeting.org, "members.manage") or (mine and mine.status == Attendance.Status.PRESENT)
    ):
        raise Http404
    motions = [
        {"title": m.title, "yes": m.yes, "no": m.no, "abstain": m.abstain, "passed": m.passed}
        for m in meeting.motions.all()
    ]
    return MinutesOut(
        id=meeting.pk,
        topic=meeting.topic,
        starts_at=meeting.starts_at,
        minutes=meeting.minutes,
        decisions=meeting.decisions,
        motions=motions,
    )
