"""Meeting writes: plan and invite, QR sign-in, leave, attendance, votes, minutes and files."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import facts_record_bulk
from dangjian.core import crypto
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import require_org_perm
from dangjian.notices.services import notify
from dangjian.orgs.models import Member, Membership, MemberStatus, Org, OrgPost

from .models import Attendance, Meeting, MeetingFile, MeetingType, Motion, SignInUse

TOKEN_WINDOW_SECONDS = 30  # the QR code changes every 30 s; a code is accepted for two windows (≤ 60 s)
ACTIVE = [MemberStatus.FULL, MemberStatus.PROBATIONARY]
MAX_FILE_BYTES = 20 * 1024 * 1024
FILE_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG": "image/png",
    b"%PDF": "application/pdf",
    b"PK\x03\x04": "application/zip",
}


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def invitees(*, org: Org, audience: str, group: Org | None = None) -> Any:
    """Members a meeting invites: the branch (with its groups and extra cloud/temporary members), one group,
    or the committee (members holding a post on it)."""
    if audience == Meeting.Audience.COMMITTEE:
        ids = OrgPost.objects.filter(org=org, ended_on__isnull=True).values("member_id")
        return Member.objects.filter(pk__in=ids, status__in=ACTIVE)
    if audience == Meeting.Audience.GROUP:
        if group is None or not group.path.startswith(org.path) or group.kind != Org.Kind.GROUP:
            raise _err("audience_group", _("Choose a Party group of this branch."))
        return Member.objects.filter(org_path__startswith=group.path, status__in=ACTIVE)
    extra = Membership.objects.filter(org=org, ended_on__isnull=True).values("member_id")
    return Member.objects.filter(Q(org_path__startswith=org.path) | Q(pk__in=extra), status__in=ACTIVE)


@transaction.atomic
def meeting_plan(
    *,
    org: Org,
    acting_user: Any,
    type: str,
    topic: str,
    starts_at: dt.datetime,
    audience: str = Meeting.Audience.BRANCH,
    audience_group: Org | None = None,
    **fields: Any,
) -> Meeting:
    """Plan a meeting, invite the audience and notify them."""
    require_org_perm(acting_user, org, "members.manage")
    if type not in MeetingType.values:
        raise _err("type", _("Unknown meeting type."))
    if not topic.strip():
        raise _err("topic", _("Give the topic."))
    if fields.get("ends_at") and fields["ends_at"] <= starts_at:
        raise _err("ends_at", _("The meeting must end after it starts."))
    if org.kind == Org.Kind.COMMITTEE and type in (MeetingType.GROUP,):
        raise _err("type", _("Party group meetings are held by a group or branch."))
    meeting = Meeting.objects.create(
        org=org,
        org_path=org.path,
        type=type,
        topic=topic.strip(),
        starts_at=starts_at,
        audience=audience,
        audience_group=audience_group,
        created_by=acting_user,
        **fields,
    )
    members = list(invitees(org=org, audience=audience, group=audience_group).only("id", "status", "user_id"))
    committee = audience == Meeting.Audience.COMMITTEE
    Attendance.objects.bulk_create(
        [
            Attendance(meeting=meeting, member_id=m.pk, can_vote=committee or m.status == MemberStatus.FULL)
            for m in members
        ]
    )
    users = [
        m.user for m in Member.objects.filter(pk__in=[m.pk for m in members], user__isnull=False).select_related("user")
    ]
    local = timezone.localtime(starts_at)
    notify(
        recipients=users,
        title=_("%(type)s on %(when)s: %(topic)s")
        % {"type": meeting.get_type_display(), "when": local.strftime("%m-%d %H:%M"), "topic": meeting.topic},
        body=meeting.place or meeting.online_link,
        url=f"/meetings/{meeting.pk}/",
        kind="meetings.invited",
    )
    audit(
        acting_user,
        "meeting.plan",
        meeting,
        org_path=org.path,
        after={"type": type, "topic": topic, "starts_at": starts_at, "invited": len(members)},
    )
    return meeting


# --- QR sign-in ---------------------------------------------------------------------------------


def _token_for(meeting_id: int, window: int) -> str:
    key = crypto.hmac_sm3(settings.SECRET_KEY.encode(), b"meeting-sign-in")
    return crypto.hmac_sm3(key, f"{meeting_id}:{window}").hex()[:16]


def sign_in_token(meeting: Meeting, now: float | None = None) -> str:
    """The code shown on the meeting's screen right now (rotates every 30 s)."""
    return _token_for(meeting.pk, int((now or time.time()) // TOKEN_WINDOW_SECONDS))


def sign_in_token_valid(meeting: Meeting, token: str, now: float | None = None) -> bool:
    window = int((now or time.time()) // TOKEN_WINDOW_SECONDS)
    return any(crypto.constant_time_equals(_token_for(meeting.pk, w), token or "") for w in (window, window - 1))


@transaction.atomic
def attendance_sign_in(*, meeting: Meeting, member: Member, token: str, now: float | None = None) -> Attendance:
    """A member scans the meeting's QR code: marked present if invited and the code is fresh."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise _err("meeting", _("This meeting was cancelled."))
    if not sign_in_token_valid(meeting, token, now):
        raise _err(
            "token", _("The sign-in code has expired or is not for this meeting: scan the code on the screen again.")
        )
    att = Attendance.objects.select_for_update().filter(meeting=meeting, member=member).first()
    if att is None:
        raise _err("member", _("You are not invited to this meeting."))
    if att.status == Attendance.Status.PRESENT:
        raise _err("token", _("You have already signed in."))
    try:
        with transaction.atomic():
            SignInUse.objects.create(meeting=meeting, member=member, token=token)
    except IntegrityError:
        raise _err("token", _("This code was already used.")) from None
    att.status, att.signed_in_at, att.method = Attendance.Status.PRESENT, timezone.now(), "qr"
    att.save(update_fields=["status", "signed_in_at", "method"])
    return att


@transaction.atomic
def attendance_mark(*, meeting: Meeting, member_ids: list[int], status: str, acting_user: Any, reason: str = "") -> int:
    """The recorder marks members present, absent or on leave (with a reason for absence or leave)."""
    require_org_perm(acting_user, meeting.org, "members.manage")
    if status not in Attendance.Status.values or status == Attendance.Status.INVITED:
        raise _err("status", _("Unknown attendance status."))
    if status in (Attendance.Status.ABSENT, Attendance.Status.LEAVE) and not reason.strip():
        raise _err("reason", _("Give the reason for the absence or leave."))
    qs = Attendance.objects.filter(meeting=meeting, member_id__in=member_ids)
    if qs.count() != len(set(member_ids)):
        raise _err("member", _("Some of these people are not invited to this meeting."))
    now = timezone.now()
    n = qs.update(
        status=status,
        reason=reason.strip()[:200],
        method="recorder",
        signed_in_at=now if status == Attendance.Status.PRESENT else None,
    )
    audit(
        acting_user,
        "meeting.attendance",
        meeting,
        org_path=meeting.org_path,
        after={"members": member_ids, "status": status, "reason": reason},
    )
    return n


@transaction.atomic
def leave_request(*, meeting: Meeting, member: Member, reason: str) -> Attendance:
    """A member asks for leave before the meeting starts."""
    if not reason.strip():
        raise _err("reason", _("Give the reason."))
    if timezone.now() >= meeting.starts_at:
        raise _err("meeting", _("Leave must be asked for before the meeting starts."))
    att = Attendance.objects.filter(meeting=meeting, member=member).first()
    if att is None:
        raise _err("member", _("You are not invited to this meeting."))
    att.status, att.reason = Attendance.Status.LEAVE_REQUESTED, reason.strip()[:200]
    att.save(update_fields=["status", "reason"])
    secretaries = [r.user for r in meeting.org.roles.filter(ended_at__isnull=True).select_related("user")]
    notify(
        recipients=secretaries,
        title=_("%(name)s asks for leave from %(topic)s") % {"name": member.name, "topic": meeting.topic},
        body=reason,
        url=f"/meetings/{meeting.pk}/",
        kind="meetings.leave",
    )
    return att


def quorum(meeting: Meeting) -> dict[str, Any]:
    """Voting members who should attend and are present; reached when present is more than half."""
    rows = Attendance.objects.filter(meeting=meeting, can_vote=True)
    should = rows.count()
    present = rows.filter(status=Attendance.Status.PRESENT).count()
    return {
        "should_attend": should,
        "present": present,
        "needed": should // 2 + 1,
        "reached": should > 0 and present * 2 > should,
    }


@transaction.atomic
def motion_record(*, meeting: Meeting, title: str, yes: int, no: int, abstain: int, acting_user: Any) -> Motion:
    """Record a vote. It passes when yes votes exceed half of the voting members who should attend."""
    require_org_perm(acting_user, meeting.org, "members.manage")
    if not meeting.votes:
        raise _err("meeting", _("This kind of meeting does not vote."))
    if not title.strip():
        raise _err("title", _("Give the motion."))
    if min(yes, no, abstain) < 0:
        raise _err("yes", _("Votes cannot be negative."))
    q = quorum(meeting)
    if not q["reached"]:
        raise _err(
            "meeting",
            _("No quorum: %(p)d of %(s)d voting members are present, more than half are needed.")
            % {"p": q["present"], "s": q["should_attend"]},
        )
    if yes + no + abstain > q["present"]:
        raise _err("yes", _("More votes than voting members present (%(p)d).") % {"p": q["present"]})
    motion = Motion.objects.create(
        meeting=meeting,
        title=title.strip(),
        yes=yes,
        no=no,
        abstain=abstain,
        should_attend=q["should_attend"],
        present=q["present"],
        passed=yes * 2 > q["should_attend"],
    )
    audit(
        acting_user,
        "meeting.vote",
        meeting,
        org_path=meeting.org_path,
        after={"motion": title, "yes": yes, "no": no, "abstain": abstain, "passed": motion.passed},
    )
    return motion


@transaction.atomic
def meeting_record_minutes(
    *, meeting: Meeting, minutes: str, decisions: str, acting_user: Any, held: bool = True
) -> Meeting:
    """Enter the minutes once; marking the meeting held turns every invitee without a status into absent
    and records attendance (and a lecture given) as facts for points, assessment and dashboards."""
    require_org_perm(acting_user, meeting.org, "members.manage")
    if held and meeting.starts_at > timezone.now():
        raise _err("status", _("A meeting cannot be marked held before it starts."))
    was_held = meeting.status == Meeting.Status.HELD
    meeting.minutes, meeting.decisions = minutes, decisions
    if held:
        meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["minutes", "decisions", "status"])
    if held and not was_held:
        Attendance.objects.filter(
            meeting=meeting, status__in=[Attendance.Status.INVITED, Attendance.Status.LEAVE_REQUESTED]
        ).update(status=Attendance.Status.ABSENT)
        present = list(
            Member.objects.filter(attendances__meeting=meeting, attendances__status=Attendance.Status.PRESENT).values(
                "id", "org_id", "org_path"
            )
        )
        rows = [
            {
                "member_id": m["id"],
                "org_id": meeting.org_id,
                "org_path": meeting.org_path,
                "kind": FactKind.MEETING_ATTENDED,
                "quantity": 1,
                "occurred_at": meeting.starts_at,
                "source_type": "meetings.meeting",
                "source_id": str(meeting.pk),
            }
            for m in present
        ]
        if meeting.type == MeetingType.LECTURE and meeting.lecturer_id:
            rows.append(
                {
                    "member_id": meeting.lecturer_id,
                    "org_id": meeting.org_id,
                    "org_path": meeting.org_path,
                    "kind": FactKind.LECTURE_GIVEN,
                    "quantity": 1,
                    "occurred_at": meeting.starts_at,
                    "source_type": "meetings.meeting",
                    "source_id": str(meeting.pk),
                }
            )
        facts_record_bulk(rows)
    audit(acting_user, "meeting.minutes", meeting, org_path=meeting.org_path, after={"held": held})
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, acting_user: Any, reason: str) -> Meeting:
    require_org_perm(acting_user, meeting.org, "members.manage")
    if meeting.status == Meeting.Status.HELD:
        raise _err("status", _("A meeting that was held cannot be cancelled."))
    meeting.status = Meeting.Status.CANCELLED
    meeting.save(update_fields=["status"])
    users = [a.member.user for a in meeting.attendances.select_related("member__user") if a.member.user]
    notify(
        recipients=users,
        title=_("Cancelled: %(topic)s") % {"topic": meeting.topic},
        body=reason,
        url=f"/meetings/{meeting.pk}/",
        kind="meetings.cancelled",
    )
    audit(acting_user, "meeting.cancel", meeting, org_path=meeting.org_path, after={"reason": reason})
    return meeting


def sniff_upload(head: bytes) -> str | None:
    for magic, kind in FILE_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


@transaction.atomic
def meeting_attach(*, meeting: Meeting, upload: Any, acting_user: Any) -> MeetingFile:
    """Attach a photo or document (JPEG, PNG, PDF, Office); checked by content and size."""
    require_org_perm(acting_user, meeting.org, "members.manage")
    if upload is None:
        raise _err("file", _("Choose a file."))
    if upload.size > MAX_FILE_BYTES:
        raise _err("file", _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    head = upload.read(8)
    upload.seek(0)
    kind = sniff_upload(head)
    if kind is None:
        raise _err("file", _("Only photos (JPEG, PNG), PDF and Office documents can be attached."))
    obj = MeetingFile.objects.create(
        meeting=meeting,
        file=upload,
        name=upload.name[:200],
        content_type=kind,
        size=upload.size,
        uploaded_by=acting_user,
    )
    audit(acting_user, "meeting.attach", meeting, org_path=meeting.org_path, after={"file": obj.name, "size": obj.size})
    return obj


def meetings_remind_upcoming(*, now: dt.datetime | None = None) -> int:
    """The day before: remind invitees who have not asked for leave (once per meeting)."""
    now = now or timezone.now()
    due = Meeting.objects.filter(
        status=Meeting.Status.PLANNED,
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=24),
    )
    sent = 0
    for meeting in due:
        with transaction.atomic():
            if not Meeting.objects.filter(pk=meeting.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            users = [
                a.member.user
                for a in meeting.attendances.filter(status=Attendance.Status.INVITED).select_related("member__user")
                if a.member.user
            ]
            local = timezone.localtime(meeting.starts_at)
            notify(
                recipients=users,
                title=_("Reminder, %(when)s: %(topic)s")
                % {"when": local.strftime("%m-%d %H:%M"), "topic": meeting.topic},
                body=meeting.place or meeting.online_link,
                url=f"/meetings/{meeting.pk}/",
                kind="meetings.reminder",
            )
            sent += len(users)
    return sent
