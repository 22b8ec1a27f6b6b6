"""Member development (发展党员) writes: start a case, record each of the 25 steps, extend probation, stop.

Hard rules refuse with a DomainError naming the field; soft ones (a talk later than a month, an assessment
later than half a year, approval later than 3 months, a short public notice) are kept with the step as
warnings and shown on the timeline. Status moves go through ``services.member_change_status``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import has_org_perm, members_visible_to, require_org_perm
from dangjian.notices.services import notify

from . import services
from .mobile import officers_by_path
from .models import Member, MemberStatus, Org
from .models_development import STEPS, DevelopmentCase, DevelopmentContact, DevelopmentEvidence, DevelopmentStep
from .timing import add_months, add_years, age_on, configured_int, working_days

MIN_AGE = 18
ACTIVIST_YEARS = 1  # candidate only after ≥ 1 year as activist
MIN_CLASS_HOURS, MIN_TRAINING_DAYS = 24, 3
PROBATION_YEARS = 1
EXTENSION_MONTHS = (6, 12)
APPROVAL_MONTHS, APPROVAL_MAX_MONTHS = 3, 6
ASSESSMENT_MONTHS = 6
TALK_MONTHS = 1
NOTICE_WORKING_DAYS = 5  # 公示, configurable: core.Setting "development.notice_working_days"
REMIND_DAYS = 7
STATUS_AT_STEP = {
    3: MemberStatus.ACTIVIST,
    7: MemberStatus.CANDIDATE,
    17: MemberStatus.PROBATIONARY,
    24: MemberStatus.FULL,
}


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def _d(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


def _steps(case: DevelopmentCase) -> dict[int, DevelopmentStep]:
    """The steps done, by number (for step 6, the latest assessment)."""
    return {s.number: s for s in case.steps.order_by("number", "done_on", "id")}


def probation_end(case: DevelopmentCase, steps: dict[int, DevelopmentStep]) -> dt.date | None:
    """One year from the general meeting's date (step 15), plus an extension of 6–12 months if decided."""
    if 15 not in steps:
        return None
    return add_months(add_years(steps[15].done_on, PROBATION_YEARS), case.probation_extension_months or 0)


def next_deadline(case: DevelopmentCase, steps: dict[int, DevelopmentStep]) -> tuple[int | None, dt.date | None]:
    """The step with a deadline that comes next, and its date."""
    cur = case.current_step
    if case.status != DevelopmentCase.Status.OPEN:
        return None, None
    if cur == 1:
        return 2, add_months(steps[1].done_on, TALK_MONTHS)
    if 3 <= cur <= 6:
        last = steps[6].done_on if 6 in steps else steps[3].done_on
        return 6, add_months(last, ASSESSMENT_MONTHS)
    if cur in (15, 16):
        return 17, add_months(steps[15].done_on, APPROVAL_MONTHS)
    if 17 <= cur <= 21:
        return 22, probation_end(case, steps)
    if cur == 23:
        return 24, add_months(steps[23].done_on, APPROVAL_MONTHS)
    return None, None


def earliest_date(case: DevelopmentCase, steps: dict[int, DevelopmentStep]) -> dt.date | None:
    """The first day the next step may be done, where a rule sets one (steps 7 and 22)."""
    nxt = case.next_step
    if nxt == 7 and 3 in steps:
        return add_years(steps[3].done_on, ACTIVIST_YEARS)
    if nxt == 22:
        return probation_end(case, steps)
    return None


def _refresh_due(case: DevelopmentCase, steps: dict[int, DevelopmentStep]) -> None:
    case.due_step, case.due_on = next_deadline(case, steps)


def _full_members(ids: Iterable[int], *, acting_user: Any, field: str, person: Member) -> list[Member]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if len(ids) != 2:
        raise _err(field, _("Name exactly two different people."))
    found = list(members_visible_to(acting_user).filter(pk__in=ids))
    if len(found) != 2:
        raise _err(field, _("Unknown member."))
    if person.pk in ids:
        raise _err(field, _("The person cannot be their own mentor or sponsor."))
    not_full = [m.name for m in found if m.status != MemberStatus.FULL]
    if not_full:
        raise _err(field, _("Must be full members: %(names)s.") % {"names": "、".join(not_full)})
    return found


def _branch_path(member: Member) -> str:
    org = member.org
    return org.path[: -Org.steplen] if org.kind == Org.Kind.GROUP else org.path


def _vote(
    *, member: Member, done_on: dt.date | None, meeting: Any, present: int | None, yes: Any, no: Any, abstain: Any
) -> dict[str, Any]:
    """A general meeting's vote on one person: passes when yes votes exceed half of the voting members who
    should attend (支部工作条例), with more than half of them present; written votes of absentees count."""
    from dangjian.meetings.models import Meeting, MeetingType
    from dangjian.meetings.services import quorum

    votes = {"yes": yes, "no": no, "abstain": abstain or 0}
    for key, value in votes.items():
        if value is None or not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _err(key, _("Give the number of votes (0 or more)."))
    if meeting is not None:
        if (
            meeting.type != MeetingType.GENERAL
            or meeting.status != Meeting.Status.HELD
            or not member.org_path.startswith(meeting.org_path)
        ):
            raise _err("meeting", _("Choose a general meeting of the person's branch that was held."))
        q = quorum(meeting)
        should, present = q["should_attend"], q["present"]
        done_on = timezone.localtime(meeting.starts_at).date()
    else:
        should = Member.objects.filter(org_path__startswith=_branch_path(member), status=MemberStatus.FULL).count()
        if present is None or present < 0:
            raise _err("present", _("Give how many voting members were present."))
        if present > should:
            raise _err("present", _("More present than the %(n)d voting members of the branch.") % {"n": should})
    if should == 0 or present * 2 <= should:
        raise _err(
            "present",
            _("No quorum: %(p)d of %(s)d voting members present; more than half are needed.")
            % {"p": present, "s": should},
        )
    if votes["yes"] + votes["no"] + votes["abstain"] > should:
        raise _err("yes", _("More votes than the %(n)d voting members who should attend.") % {"n": should})
    if votes["yes"] * 2 <= should:
        raise _err(
            "yes",
            _("Not passed: %(y)d yes of %(s)d voting members who should attend; at least %(need)d are needed.")
            % {"y": votes["yes"], "s": should, "need": should // 2 + 1},
        )
    return {"done_on": done_on, "should_attend": should, "present": present, "meeting": meeting, **votes}


def _approver(*, org: Org | None, member: Member, acting_user: Any) -> Org:
    """Approval (steps 17 and 24) is by a Party committee with that authority above the branch, never a general branch."""
    if org is None:
        raise _err("approver_org", _("Choose the approving Party committee."))
    if org.kind != Org.Kind.COMMITTEE:
        raise _err(
            "approver_org", _("Only a Party committee with that authority approves; a general branch or branch cannot.")
        )
    if not member.org_path.startswith(org.path) or org.path == member.org_path:
        raise _err("approver_org", _("The approving committee must be above the person's branch."))
    if not has_org_perm(acting_user, org, "members.manage"):
        raise _err("approver_org", _("The approval is recorded by the approving committee itself."))
    return org


def _check_notice(
    case: DevelopmentCase, notice_from: dt.date | None, notice_to: dt.date | None, warnings: list[str]
) -> None:
    if notice_from is None or notice_to is None:
        warnings.append(
            _("No public notice (公示) recorded: it comes before admission, %(n)d working days.")
            % {"n": case.notice_working_days}
        )
        return
    if notice_to < notice_from:
        raise _err("notice_to", _("The notice cannot end before it starts."))
    days = working_days(notice_from, notice_to)
    if days < case.notice_working_days:
        warnings.append(
            _("The public notice lasted %(d)d working days; %(n)d are expected.")
            % {"d": days, "n": case.notice_working_days}
        )


@transaction.atomic
def development_start(
    *, member: Member, application_date: dt.date, acting_user: Any, notes: str = ""
) -> DevelopmentCase:
    """Step 1: the written application opens the case. The applicant must be 18 on the day."""
    require_org_perm(acting_user, member.org, "members.manage")
    if member.status != MemberStatus.APPLICANT:
        raise _err("member", _("A development case starts with an applicant (status: applicant)."))
    if DevelopmentCase.objects.filter(member=member).exists():
        raise _err("member", _("This person already has a development case."))
    if application_date is None or application_date > timezone.localdate():
        raise _err("application_date", _("Give the application date (not in the future)."))
    age = age_on(member.birth_date, application_date)
    if age < MIN_AGE:
        raise _err(
            "application_date",
            _("Applicants must be at least 18: %(name)s was %(age)d on %(d)s.")
            % {"name": member.name, "age": age, "d": _d(application_date)},
        )
    case = DevelopmentCase.objects.create(
        member=member,
        current_step=1,
        started_by=services._user(acting_user),
        notice_working_days=configured_int("development.notice_working_days", NOTICE_WORKING_DAYS, high=60),
    )
    step = DevelopmentStep.objects.create(
        case=case,
        number=1,
        done_on=application_date,
        done_by=services._user(acting_user),
        done_by_name=_actor_name(acting_user),
        notes=notes.strip(),
    )
    if member.application_date != application_date:
        services.member_update(member=member, acting_user=acting_user, application_date=application_date)
    _refresh_due(case, {1: step})
    case.save()
    audit(acting_user, "development.start", member, after={"application_date": application_date})
    return case


def _actor_name(user: Any) -> str:
    return (
        (getattr(user, "name", "") or user.get_username())
        if user is not None and getattr(user, "is_authenticated", False)
        else ""
    )


@transaction.atomic
def development_record_step(
    *,
    case: DevelopmentCase,
    number: int,
    done_on: dt.date | None,
    acting_user: Any,
    notes: str = "",
    mentor_ids: Iterable[int] = (),
    sponsor_ids: Iterable[int] = (),
    class_hours: int | None = None,
    training_days: int | None = None,
    meeting: Any = None,
    present: int | None = None,
    yes: int | None = None,
    no: int | None = None,
    abstain: int | None = None,
    approver_org: Org | None = None,
    notice_from: dt.date | None = None,
    notice_to: dt.date | None = None,
) -> DevelopmentStep:
    """Record the next step (step 6 may repeat while the person is an activist). Returns the step with its warnings."""
    case = (
        DevelopmentCase.objects.select_for_update(of=("self",)).select_related("member", "member__org").get(pk=case.pk)
    )
    member = case.member
    require_org_perm(acting_user, member.org, "members.manage")
    if case.status != DevelopmentCase.Status.OPEN:
        raise _err("number", _("This development case is closed."))
    if number not in STEPS:
        raise _err("number", _("Steps are numbered 1 to 25."))
    repeat_assessment = number == 6 and case.current_step == 6
    if number != case.current_step + 1 and not repeat_assessment:
        nxt = case.current_step + 1
        raise _err("number", _("Step %(n)d (%(label)s) comes next.") % {"n": nxt, "label": STEPS[nxt]})
    steps = _steps(case)
    warnings: list[str] = []
    row: dict[str, Any] = {}
    if number in (15, 23):
        row = _vote(member=member, done_on=done_on, meeting=meeting, present=present, yes=yes, no=no, abstain=abstain)
        done_on = row.pop("done_on")
    if done_on is None:
        raise _err("done_on", _("Give the date."))
    if done_on > timezone.localdate():
        raise _err("done_on", _("The date cannot be in the future."))
    last = max(s.done_on for s in steps.values())
    if done_on < last:
        raise _err("done_on", _("The date cannot be before the previous step (%(d)s).") % {"d": _d(last)})

    if number == 2 and done_on > add_months(steps[1].done_on, TALK_MONTHS):
        warnings.append(
            _("The talk came more than a month after the application (due by %(d)s).")
            % {"d": _d(add_months(steps[1].done_on, TALK_MONTHS))}
        )
    elif number == 5:
        mentors = _full_members(mentor_ids, acting_user=acting_user, field="mentor_ids", person=member)
    elif number == 6 or number == 7:
        since = steps[6].done_on if 6 in steps else steps[3].done_on
        if done_on > add_months(since, ASSESSMENT_MONTHS):
            warnings.append(
                _("More than half a year since the last assessment (%(d)s): activists are assessed every half year.")
                % {"d": _d(since)}
            )
    if number == 7:
        earliest = add_years(steps[3].done_on, ACTIVIST_YEARS)
        if done_on < earliest:
            raise _err(
                "done_on",
                _("A candidate is decided only after a full year as activist (since %(a)s): from %(d)s.")
                % {"a": _d(steps[3].done_on), "d": _d(earliest)},
            )
    elif number == 9:
        sponsors = _full_members(sponsor_ids, acting_user=acting_user, field="sponsor_ids", person=member)
    elif number == 11:
        hours, days = class_hours or 0, training_days or 0
        if hours < MIN_CLASS_HOURS and days < MIN_TRAINING_DAYS:
            raise _err(
                "class_hours",
                _("Training must reach 24 class hours or 3 days (recorded: %(h)d hours, %(d)d days).")
                % {"h": hours, "d": days},
            )
        row.update(class_hours=class_hours, training_days=training_days)
    elif number in (12, 23):
        _check_notice(case, notice_from, notice_to, warnings)
        row.update(notice_from=notice_from, notice_to=notice_to)
    elif number in (17, 24):
        row["approver_org"] = _approver(org=approver_org, member=member, acting_user=acting_user)
        start = steps[15 if number == 17 else 23].done_on
        if number == 17 and done_on > add_months(start, APPROVAL_MAX_MONTHS):
            raise _err(
                "done_on", _("Approval must come within 6 months of the general meeting (%(d)s).") % {"d": _d(start)}
            )
        if done_on > add_months(start, APPROVAL_MONTHS):
            warnings.append(_("Approval came more than 3 months after the general meeting (%(d)s).") % {"d": _d(start)})
    elif number == 22:
        end = probation_end(case, steps)
        if end is None or done_on < end:
            raise _err(
                "done_on",
                _("Probation ends on %(d)s: the application for full membership comes after that.")
                % {"d": _d(end) if end else "—"},
            )

    step = DevelopmentStep.objects.create(
        case=case,
        number=number,
        done_on=done_on,
        done_by=services._user(acting_user),
        done_by_name=_actor_name(acting_user),
        notes=notes.strip(),
        warnings=warnings,
        **row,
    )
    if number == 5:
        DevelopmentContact.objects.bulk_create(
            [
                DevelopmentContact(case=case, member=m, role=DevelopmentContact.Role.MENTOR, assigned_on=done_on)
                for m in mentors
            ]
        )
    elif number == 9:
        DevelopmentContact.objects.bulk_create(
            [
                DevelopmentContact(case=case, member=m, role=DevelopmentContact.Role.SPONSOR, assigned_on=done_on)
                for m in sponsors
            ]
        )
    if number in STATUS_AT_STEP:
        # Party standing starts on the general meeting's date; full membership on the day probation ends.
        on = done_on
        if number == 17:
            on = steps[15].done_on
        elif number == 24:
            on = probation_end(case, steps) or done_on
        services.member_change_status(
            member=member,
            to_status=STATUS_AT_STEP[number],
            effective_on=on,
            acting_user=acting_user,
            reason=str(STEPS[number]),
        )
    steps[number] = step
    case.current_step = max(case.current_step, number)
    if number == 25:
        case.status = DevelopmentCase.Status.COMPLETED
    _refresh_due(case, steps)
    case.save()
    audit(
        acting_user,
        "development.step",
        member,
        after={
            "step": number,
            "done_on": done_on,
            "warnings": warnings,
            **{k: v for k, v in row.items() if k != "meeting"},
        },
    )
    return step


@transaction.atomic
def development_extend_probation(
    *, case: DevelopmentCase, months: int, decided_on: dt.date, reason: str, acting_user: Any
) -> DevelopmentCase:
    """Extend probation by 6 to 12 months, once, before the application for full membership."""
    case = (
        DevelopmentCase.objects.select_for_update(of=("self",)).select_related("member", "member__org").get(pk=case.pk)
    )
    require_org_perm(acting_user, case.member.org, "members.manage")
    if case.status != DevelopmentCase.Status.OPEN or not 17 <= case.current_step <= 21:
        raise _err(
            "months", _("Probation can be extended only during probation, before the application for full membership.")
        )
    if case.probation_extension_months:
        raise _err("months", _("Probation was already extended."))
    if (
        not isinstance(months, int)
        or isinstance(months, bool)
        or not EXTENSION_MONTHS[0] <= months <= EXTENSION_MONTHS[1]
    ):
        raise _err("months", _("An extension is 6 to 12 months."))
    steps = _steps(case)
    if decided_on is None or decided_on > timezone.localdate() or decided_on < steps[17].done_on:
        raise _err("decided_on", _("Give the decision date, during probation and not in the future."))
    if not reason.strip():
        raise _err("reason", _("Give the reason for the extension."))
    case.probation_extension_months, case.probation_extended_on, case.probation_extension_reason = (
        months,
        decided_on,
        reason.strip()[:200],
    )
    _refresh_due(case, steps)
    case.save()
    audit(
        acting_user,
        "development.extend",
        case.member,
        after={
            "months": months,
            "decided_on": decided_on,
            "reason": reason,
            "probation_ends": probation_end(case, steps),
        },
    )
    return case


@transaction.atomic
def development_stop(*, case: DevelopmentCase, reason: str, acting_user: Any) -> DevelopmentCase:
    """Close a case that will not go on (withdrawn, not admitted). The person's status changes on its own."""
    case = (
        DevelopmentCase.objects.select_for_update(of=("self",)).select_related("member", "member__org").get(pk=case.pk)
    )
    require_org_perm(acting_user, case.member.org, "members.manage")
    if case.status != DevelopmentCase.Status.OPEN:
        raise _err("reason", _("This development case is closed."))
    if not reason.strip():
        raise _err("reason", _("Give the reason."))
    case.status, case.stopped_reason, case.due_step, case.due_on = (
        DevelopmentCase.Status.STOPPED,
        reason.strip()[:200],
        None,
        None,
    )
    case.save()
    audit(acting_user, "development.stop", case.member, after={"reason": reason, "at_step": case.current_step})
    return case


@transaction.atomic
def development_attach(*, step: DevelopmentStep, upload: Any, acting_user: Any) -> DevelopmentEvidence:
    """Keep a file with a step (photo, PDF or Office document), checked by content and size."""
    from dangjian.meetings.services import MAX_FILE_BYTES, sniff_upload

    member = step.case.member
    require_org_perm(acting_user, member.org, "members.manage")
    if upload is None:
        raise _err("file", _("Choose a file."))
    if upload.size > MAX_FILE_BYTES:
        raise _err("file", _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    head = upload.read(8)
    upload.seek(0)
    kind = sniff_upload(head)
    if kind is None:
        raise _err("file", _("Only photos (JPEG, PNG), PDF and Office documents can be attached."))
    obj = DevelopmentEvidence.objects.create(
        step=step, file=upload, name=upload.name[:200], content_type=kind, size=upload.size, uploaded_by=acting_user
    )
    audit(acting_user, "development.attach", member, after={"step": step.number, "file": obj.name, "size": obj.size})
    return obj


def development_remind(*, today: dt.date | None = None) -> int:
    """Daily: a deadline within 7 days (or passed) is told to the branch's secretaries, once per deadline."""
    today = today or timezone.localdate()
    due = (
        DevelopmentCase.objects.filter(
            status=DevelopmentCase.Status.OPEN, due_on__lte=today + dt.timedelta(days=REMIND_DAYS)
        )
        .filter(
            Q(reminded_due__isnull=True)
            | Q(reminded_step__isnull=True)
            | ~Q(reminded_due=F("due_on"))
            | ~Q(reminded_step=F("due_step"))
        )
        .select_related("member")
    )
    cases = list(due)
    officers = officers_by_path({c.member.org_path for c in cases})
    sent = 0
    for case in cases:
        with transaction.atomic():
            if not DevelopmentCase.objects.filter(pk=case.pk, due_on=case.due_on, due_step=case.due_step).update(
                reminded_due=case.due_on, reminded_step=case.due_step
            ):
                continue
            late = case.due_on is not None and case.due_on < today
            title = (
                _("%(name)s: step %(n)d (%(label)s) was due on %(d)s")
                if late
                else _("%(name)s: step %(n)d (%(label)s) due on %(d)s")
            ) % {
                "name": case.member.name,
                "n": case.due_step,
                "label": STEPS.get(case.due_step or 0, ""),
                "d": _d(case.due_on) if case.due_on else "",
            }
            sent += len(
                notify(
                    recipients=officers.get(case.member.org_path, []),
                    title=title,
                    url=f"/orgs/development/{case.pk}/",
                    kind="orgs.development",
                )
            )
    return sent
