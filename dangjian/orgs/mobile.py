"""Mobile members (流动党员) and out-of-contact members: records, threshold warnings, the secretary's decisions.

The system never suspends or removes anyone: at 6 months out of contact (suspension due) and 2 years after
the suspension (removal due) the daily job tells the branch's secretaries once, and the secretary records
the decision through ``member_change_status`` with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import OrgRole
from dangjian.core.audit import audit, snapshot
from dangjian.core.errors import DomainError
from dangjian.core.scoping import has_org_perm, require_org_perm
from dangjian.notices.services import notify

from . import services
from .models import ACTIVE_STATUSES, Member, MemberStatus, Org, StatusChange
from .models_transfer import ContactWarning, MobileActivity
from .timing import add_months, add_years

MOBILE_MAX_MONTHS = 6  # away ≥ 6 months to a fairly fixed place → transfer instead (党员教育管理工作条例)
SUSPENSION_AFTER_MONTHS = 6  # out of contact ≥ 6 months → suspension (停止党籍) due
REMOVAL_AFTER_YEARS = 2  # still out of contact 2 years after the suspension → removal (自行脱党) due
AUDIT_FIELDS = ["status", "is_mobile", "mobile_since", "mobile_whereabouts", "out_of_contact_since"]


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def _past(field: str, day: dt.date | None) -> dt.date:
    if day is None:
        raise _err(field, _("Give the date."))
    if day > timezone.localdate():
        raise _err(field, _("The date cannot be in the future."))
    return day


def officers_by_path(paths: Iterable[str]) -> dict[str, list[Any]]:
    """For each org path, the users holding a secretary or Party-affairs role at that org or an org above it
    (up to its committee), in one query."""
    paths = set(paths)
    prefixes = {p[:i] for p in paths for i in range(Org.steplen, len(p) + 1, Org.steplen)}
    roles = OrgRole.objects.filter(
        org__path__in=prefixes,
        ended_at__isnull=True,
        org__kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH, Org.Kind.GROUP],
        role__in=[OrgRole.Role.SECRETARY, OrgRole.Role.AFFAIRS_WORKER],
    ).select_related("user", "org")
    out: dict[str, list[Any]] = defaultdict(list)
    for role in roles:
        for p in paths:
            if p.startswith(role.org.path) and role.user not in out[p]:
                out[p].append(role.user)
    return out


@transaction.atomic
def member_mark_mobile(*, member: Member, since: dt.date, whereabouts: str, acting_user: Any) -> Member:
    """Away for a while (less than 6 months): the member keeps their branch and records activities elsewhere."""
    require_org_perm(acting_user, member.org, "members.manage")
    if member.status not in ACTIVE_STATUSES:
        raise _err("member", _("Only full and probationary members are recorded as mobile."))
    since = _past("since", since)
    whereabouts = whereabouts.strip()
    if not whereabouts:
        raise _err("whereabouts", _("Say where the member is."))
    before = snapshot(member, AUDIT_FIELDS)
    member.is_mobile, member.mobile_since, member.mobile_whereabouts = True, since, whereabouts[:128]
    member.save()
    audit(acting_user, "member.mobile", member, before=before, after=snapshot(member, AUDIT_FIELDS))
    return member


@transaction.atomic
def member_end_mobile(*, member: Member, acting_user: Any) -> Member:
    require_org_perm(acting_user, member.org, "members.manage")
    if not member.is_mobile:
        raise _err("member", _("This member is not recorded as mobile."))
    before = snapshot(member, AUDIT_FIELDS)
    member.is_mobile, member.mobile_since, member.mobile_whereabouts = False, None, ""
    member.save()
    ContactWarning.objects.filter(member=member, kind=ContactWarning.Kind.MOBILE_LONG, decided_on__isnull=True).update(
        decided_on=timezone.localdate(), decision="returned", decided_by=services._user(acting_user)
    )
    audit(acting_user, "member.mobile_end", member, before=before, after=snapshot(member, AUDIT_FIELDS))
    return member


@transaction.atomic
def mobile_activity_record(
    *, member: Member, on: dt.date, place: str, activity: str, acting_user: Any
) -> MobileActivity:
    """The mobile member (or their branch) records an activity taken part in elsewhere."""
    is_self = member.user_id is not None and member.user_id == getattr(acting_user, "pk", None)
    if not (is_self or has_org_perm(acting_user, member.org, "members.manage")):
        raise Http404
    if not member.is_mobile:
        raise _err("member", _("Activities elsewhere are recorded for mobile members."))
    on = _past("on", on)
    if not place.strip():
        raise _err("place", _("Give the place."))
    if not activity.strip():
        raise _err("activity", _("Say what the activity was."))
    row = MobileActivity.objects.create(
        member=member,
        on=on,
        place=place.strip()[:128],
        activity=activity.strip()[:255],
        recorded_by=services._user(acting_user),
    )
    audit(acting_user, "member.mobile_activity", member, after={"on": on, "place": row.place, "activity": row.activity})
    return row


@transaction.atomic
def member_mark_out_of_contact(*, member: Member, since: dt.date, acting_user: Any) -> Member:
    require_org_perm(acting_user, member.org, "members.manage")
    if member.status not in ACTIVE_STATUSES:
        raise _err("member", _("Only full and probationary members are marked out of contact."))
    since = _past("since", since)
    before = snapshot(member, AUDIT_FIELDS)
    member.out_of_contact_since = since
    member.save()
    audit(acting_user, "member.out_of_contact", member, before=before, after=snapshot(member, AUDIT_FIELDS))
    return member


@transaction.atomic
def member_contact_restored(*, member: Member, acting_user: Any) -> Member:
    """Contact is back: the warnings close. A suspended member's status is restored on its own, by decision."""
    require_org_perm(acting_user, member.org, "members.manage")
    if member.out_of_contact_since is None:
        raise _err("member", _("This member is not marked out of contact."))
    before = snapshot(member, AUDIT_FIELDS)
    member.out_of_contact_since = None
    member.save()
    ContactWarning.objects.filter(member=member, decided_on__isnull=True).exclude(
        kind=ContactWarning.Kind.MOBILE_LONG
    ).update(decided_on=timezone.localdate(), decision="restored", decided_by=services._user(acting_user))
    audit(acting_user, "member.contact_restored", member, before=before, after=snapshot(member, AUDIT_FIELDS))
    return member


def suspended_on(member: Member) -> dt.date | None:
    return (
        StatusChange.objects.filter(member=member, to_status=MemberStatus.SUSPENDED)
        .order_by("-effective_on", "-id")
        .values_list("effective_on", flat=True)
        .first()
    )


@transaction.atomic
def member_contact_decide(
    *, member: Member, decision: str, effective_on: dt.date, reason: str, acting_user: Any
) -> Member:
    """The secretary's decision: suspend (out of contact ≥ 6 months) or remove (suspended ≥ 2 years)."""
    require_org_perm(acting_user, member.org, "members.manage")
    effective_on = _past("effective_on", effective_on)
    if not reason.strip():
        raise _err("reason", _("Give the reason for the decision."))
    if decision == "suspend":
        since = member.out_of_contact_since
        if since is None:
            raise _err("decision", _("Only a member out of contact can have their membership suspended this way."))
        due = add_months(since, SUSPENSION_AFTER_MONTHS)
        if effective_on < due:
            raise _err(
                "effective_on",
                _("Suspension is due only after 6 months out of contact, from %(d)s.") % {"d": f"{due:%Y-%m-%d}"},
            )
        to_status, kind = MemberStatus.SUSPENDED, ContactWarning.Kind.SUSPENSION_DUE
    elif decision == "remove":
        start = suspended_on(member) if member.status == MemberStatus.SUSPENDED else None
        if start is None:
            raise _err("decision", _("Removal for loss of contact follows a suspension."))
        due = add_years(start, REMOVAL_AFTER_YEARS)
        if effective_on < due:
            raise _err(
                "effective_on",
                _("Removal is due only 2 years after the suspension, from %(d)s.") % {"d": f"{due:%Y-%m-%d}"},
            )
        to_status, kind = MemberStatus.REMOVED, ContactWarning.Kind.REMOVAL_DUE
    else:
        raise _err("decision", _("Choose suspension or removal."))
    services.member_change_status(
        member=member,
        to_status=to_status,
        effective_on=effective_on,
        reason=reason.strip()[:255],
        acting_user=acting_user,
    )
    ContactWarning.objects.filter(member=member, kind=kind, decided_on__isnull=True).update(
        decided_on=effective_on, decision=decision, decided_by=services._user(acting_user)
    )
    return member


def _candidates(kind: str, today: dt.date) -> list[tuple[Member, dt.date, dt.date]]:
    """Members past a threshold with no warning yet for this episode: (member, since, due)."""
    slack = dt.timedelta(days=3)  # month-end clipping; the exact test is in Python below
    if kind == ContactWarning.Kind.SUSPENSION_DUE:
        qs = Member.objects.filter(
            status__in=ACTIVE_STATUSES, out_of_contact_since__lte=add_months(today, -SUSPENSION_AFTER_MONTHS) + slack
        )
        since_field, step = "out_of_contact_since", (lambda d: add_months(d, SUSPENSION_AFTER_MONTHS))
    elif kind == ContactWarning.Kind.MOBILE_LONG:
        qs = Member.objects.filter(
            status__in=ACTIVE_STATUSES, is_mobile=True, mobile_since__lte=add_months(today, -MOBILE_MAX_MONTHS) + slack
        )
        since_field, step = "mobile_since", (lambda d: add_months(d, MOBILE_MAX_MONTHS))
    else:
        last = (
            StatusChange.objects.filter(member=OuterRef("pk"), to_status=MemberStatus.SUSPENDED)
            .order_by("-effective_on", "-id")
            .values("effective_on")[:1]
        )
        qs = (
            Member.objects.filter(status=MemberStatus.SUSPENDED)
            .annotate(suspended_on=Subquery(last))
            .filter(suspended_on__lte=add_years(today, -REMOVAL_AFTER_YEARS) + slack)
        )
        since_field, step = "suspended_on", (lambda d: add_years(d, REMOVAL_AFTER_YEARS))
    warned = ContactWarning.objects.filter(member=OuterRef("pk"), kind=kind, since=OuterRef(since_field))
    rows = qs.exclude(Exists(warned)).select_related("org")
    return [
        (m, getattr(m, since_field), step(getattr(m, since_field)))
        for m in rows
        if step(getattr(m, since_field)) <= today
    ]


def contact_warnings_raise(*, today: dt.date | None = None) -> int:
    """Daily: one warning per member and threshold reached, told once to the branch's secretaries."""
    today = today or timezone.localdate()
    created = 0
    for kind in ContactWarning.Kind.values:
        found = _candidates(kind, today)
        if not found:
            continue
        officers = officers_by_path({m.org_path for m, _s, _d in found})
        label = ContactWarning.Kind(kind).label
        for member, since, due in found:
            with transaction.atomic():
                _row, new = ContactWarning.objects.get_or_create(
                    member=member, kind=kind, since=since, defaults={"due_on": due}
                )
                if not new:
                    continue
                notify(
                    recipients=officers.get(member.org_path, []),
                    title=f"{member.name}：{label}",
                    body=_("Since %(d)s") % {"d": f"{since:%Y-%m-%d}"},
                    url="/orgs/mobile/",
                    kind="orgs.contact_warning",
                )
                created += 1
    return created
