"""Writes on the org tree and member records. One transaction each; every change of note is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import fact_record
from dangjian.core.audit import audit, snapshot
from dangjian.core.errors import DomainError, field_errors_from_django
from dangjian.core.models import AuditEvent
from dangjian.core.scoping import has_org_perm, require_org_perm

from .models import Member, Membership, MemberStatus, Org, OrgPost, RewardDiscipline, StatusChange

MEMBER_AUDIT_FIELDS = [
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "employee_no",
    "department",
    "job_title",
    "hire_date",
    "status",
    "org_id",
    "application_date",
    "activist_date",
    "candidate_date",
    "probationary_date",
    "full_date",
    "is_mobile",
    "out_of_contact_since",
]
SENSITIVE_FIELDS = ["id_number", "phone", "address"]
EDITABLE_FIELDS = [f for f in MEMBER_AUDIT_FIELDS if f not in {"status", "org_id"}] + SENSITIVE_FIELDS

# Which status moves are allowed (terminal states only through their own processes).
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    MemberStatus.APPLICANT: {MemberStatus.ACTIVIST, MemberStatus.REMOVED},
    MemberStatus.ACTIVIST: {MemberStatus.CANDIDATE, MemberStatus.APPLICANT, MemberStatus.REMOVED},
    MemberStatus.CANDIDATE: {MemberStatus.PROBATIONARY, MemberStatus.ACTIVIST, MemberStatus.REMOVED},
    MemberStatus.PROBATIONARY: {
        MemberStatus.FULL,
        MemberStatus.REMOVED,
        MemberStatus.DECEASED,
        MemberStatus.TRANSFERRED_OUT,
    },
    MemberStatus.FULL: {
        MemberStatus.SUSPENDED,
        MemberStatus.REMOVED,
        MemberStatus.DECEASED,
        MemberStatus.TRANSFERRED_OUT,
    },
    MemberStatus.SUSPENDED: {MemberStatus.FULL, MemberStatus.REMOVED, MemberStatus.DECEASED},
    MemberStatus.REMOVED: set(),
    MemberStatus.DECEASED: set(),
    MemberStatus.TRANSFERRED_OUT: {MemberStatus.FULL, MemberStatus.PROBATIONARY},
}
STATUS_DATE_FIELD = {
    MemberStatus.APPLICANT: "application_date",
    MemberStatus.ACTIVIST: "activist_date",
    MemberStatus.CANDIDATE: "candidate_date",
    MemberStatus.PROBATIONARY: "probationary_date",
    MemberStatus.FULL: "full_date",
}


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise DomainError(_("Please correct the marked fields."), field_errors_from_django(exc)) from exc


@transaction.atomic
def org_create(*, parent: Org | None, acting_user: Any, **fields: Any) -> Org:
    """Add an org under ``parent`` (or a root when the acting user is a global admin)."""
    if parent is not None:
        require_org_perm(acting_user, parent, "orgs.manage")
        if parent.kind == Org.Kind.GROUP:
            raise DomainError(
                _("A Party group cannot contain other organisations."),
                [{"field": "parent", "message": _("A Party group cannot contain other organisations.")}],
            )
    elif not (acting_user and (acting_user.is_superuser or acting_user.admin_role == "system")):
        raise DomainError(_("Only a system administrator can create a top-level organisation."), status=403)
    if fields.get("is_temporary") and not fields.get("ends_on"):
        raise DomainError(
            _("A temporary branch needs an end date."),
            [{"field": "ends_on", "message": _("A temporary branch needs an end date.")}],
        )
    candidate = Org(**fields)
    _full_clean(candidate, exclude=["path", "depth", "numchild"])
    org = parent.add_child(instance=candidate) if parent is not None else Org.add_root(instance=candidate)
    audit(
        acting_user,
        "org.create",
        org,
        after=snapshot(org, ["name", "kind", "unit", "is_cloud", "is_temporary", "ends_on"]),
        org_path=org.path,
    )
    return org


ORG_EDITABLE = [
    "name",
    "short_name",
    "unit",
    "founded_on",
    "is_cloud",
    "is_temporary",
    "ends_on",
    "term_start",
    "term_end",
]


@transaction.atomic
def org_update(*, org: Org, acting_user: Any, **changes: Any) -> Org:
    require_org_perm(acting_user, org, "orgs.manage")
    before = snapshot(org, ORG_EDITABLE)
    for key, value in changes.items():
        if key not in ORG_EDITABLE:
            raise DomainError(_("Unknown field: %(f)s") % {"f": key}, [{"field": key, "message": _("Unknown field")}])
        setattr(org, key, value)
    _full_clean(org, exclude=["path", "depth", "numchild"])
    org.save()
    audit(acting_user, "org.update", org, before=before, after=snapshot(org, ORG_EDITABLE), org_path=org.path)
    return org


@transaction.atomic
def org_post_assign(*, org: Org, member: Member, post: str, started_on: dt.date, acting_user: Any) -> OrgPost:
    require_org_perm(acting_user, org, "orgs.manage")
    obj = OrgPost.objects.create(org=org, member=member, post=post, started_on=started_on)
    audit(acting_user, "org.post_assign", obj, after={"member": member.pk, "post": post}, org_path=org.path)
    return obj


@transaction.atomic
def org_post_end(*, post: OrgPost, ended_on: dt.date, acting_user: Any) -> OrgPost:
    require_org_perm(acting_user, post.org, "orgs.manage")
    post.ended_on = ended_on
    post.save(update_fields=["ended_on"])
    audit(acting_user, "org.post_end", post, after={"ended_on": ended_on}, org_path=post.org.path)
    return post


def _check_branch_org(org: Org) -> None:
    if org.kind == Org.Kind.COMMITTEE:
        raise DomainError(
            _("Members belong to a branch or general branch, not directly to a Party committee."),
            [{"field": "org", "message": _("Choose a branch.")}],
        )


@transaction.atomic
def member_create(
    *, org: Org, acting_user: Any, status: str, joined_on: dt.date | None = None, **fields: Any
) -> Member:
    """Create a member record in ``org`` with its primary membership and first status entry."""
    require_org_perm(acting_user, org, "members.manage")
    _check_branch_org(org)
    member = Member(org=org, status=status, **fields)
    member.org_path = org.path
    _full_clean(member, exclude=["org_path", "user"])
    if member.id_number and Member.objects.filter(id_number_index=_blind(member.id_number)).exists():
        raise DomainError(
            _("A member with this ID number already exists."), [{"field": "id_number", "message": _("Already exists")}]
        )
    member.save()
    start = joined_on or timezone.localdate()
    Membership.objects.create(member=member, org=org, kind=Membership.Kind.PRIMARY, started_on=start)
    StatusChange.objects.create(
        member=member, to_status=status, effective_on=start, reason=_("Record created"), recorded_by=_user(acting_user)
    )
    audit(acting_user, "member.create", member, after=snapshot(member, MEMBER_AUDIT_FIELDS))
    return member


def _blind(value: str) -> str:
    from dangjian.core.crypto import blind_index

    return blind_index(value)


def _user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def member_update(*, member: Member, acting_user: Any, **changes: Any) -> Member:
    """Change identity fields. Status and branch change through their own services (dated history)."""
    require_org_perm(acting_user, member.org, "members.manage")
    unknown = [k for k in changes if k not in EDITABLE_FIELDS]
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(f)s") % {"f": ", ".join(unknown)},
            [{"field": k, "message": _("Not editable")} for k in unknown],
        )
    before = snapshot(member, MEMBER_AUDIT_FIELDS)
    sensitive_before = {f: bool(getattr(member, f)) for f in SENSITIVE_FIELDS}
    for key, value in changes.items():
        setattr(member, key, value)
    _full_clean(member, exclude=["org_path", "user"])
    if (
        "id_number" in changes
        and member.id_number
        and Member.objects.filter(id_number_index=_blind(member.id_number)).exclude(pk=member.pk).exists()
    ):
        raise DomainError(
            _("A member with this ID number already exists."), [{"field": "id_number", "message": _("Already exists")}]
        )
    member.save()
    after = snapshot(member, MEMBER_AUDIT_FIELDS)
    # Sensitive values never enter the audit log in clear: only that they changed.
    for f in SENSITIVE_FIELDS:
        if f in changes:
            before[f], after[f] = ("(set)" if sensitive_before[f] else "(empty)"), "(changed)"
    audit(acting_user, "member.update", member, before=before, after=after)
    return member


@transaction.atomic
def member_change_status(
    *, member: Member, to_status: str, effective_on: dt.date, reason: str, acting_user: Any
) -> Member:
    """Move a member to a new Party status with a dated history entry (and the matching key date)."""
    require_org_perm(acting_user, member.org, "members.manage")
    if to_status not in MemberStatus.values:
        raise DomainError(_("Unknown status."), [{"field": "to_status", "message": _("Unknown status.")}])
    if to_status not in ALLOWED_TRANSITIONS.get(member.status, set()):
        raise DomainError(
            _("A member cannot go from %(a)s to %(b)s.")
            % {"a": MemberStatus(member.status).label, "b": MemberStatus(to_status).label},
            [{"field": "to_status", "message": _("Not allowed from the current status.")}],
        )
    if effective_on > timezone.localdate():
        raise DomainError(
            _("The date cannot be in the future."),
            [{"field": "effective_on", "message": _("The date cannot be in the future.")}],
        )
    before = snapshot(member, MEMBER_AUDIT_FIELDS)
    StatusChange.objects.create(
        member=member,
        from_status=member.status,
        to_status=to_status,
        effective_on=effective_on,
        reason=reason,
        recorded_by=_user(acting_user),
    )
    member.status = to_status
    date_field = STATUS_DATE_FIELD.get(MemberStatus(to_status))
    if date_field:
        setattr(member, date_field, effective_on)
    member.save()
    fact_record(member=member, kind=FactKind.STATUS_CHANGED, source=member)
    audit(acting_user, "member.status", member, before=before, after=snapshot(member, MEMBER_AUDIT_FIELDS))
    return member


@transaction.atomic
def membership_add_extra(
    *, member: Member, org: Org, acting_user: Any, started_on: dt.date | None = None
) -> Membership:
    """Join a cloud or temporary branch as an extra membership; the primary branch never changes."""
    require_org_perm(acting_user, org, "members.manage")
    if not (org.is_cloud or org.is_temporary):
        raise DomainError(
            _("Extra memberships are only for cloud or temporary branches."),
            [{"field": "org", "message": _("Not a cloud or temporary branch.")}],
        )
    if org.ended_at is not None or (org.is_temporary and org.ends_on and org.ends_on < timezone.localdate()):
        raise DomainError(_("This temporary branch has ended."), [{"field": "org", "message": _("Ended.")}])
    kind = Membership.Kind.TEMPORARY if org.is_temporary else Membership.Kind.CLOUD
    existing = Membership.objects.filter(member=member, org=org, ended_on__isnull=True).first()
    if existing:
        return existing
    ms = Membership.objects.create(member=member, org=org, kind=kind, started_on=started_on or timezone.localdate())
    audit(
        acting_user, "membership.add", ms, after={"member": member.pk, "org": org.pk, "kind": kind}, org_path=org.path
    )
    return ms


@transaction.atomic
def temporary_branches_expire(*, today: dt.date | None = None) -> int:
    """End temporary branches past their end date and every extra membership they hold (set-based).

    Primary memberships (组织关系) are never touched; running the job again changes nothing.
    Returns the number of memberships ended.
    """
    today = today or timezone.localdate()
    due = list(Org.objects.select_for_update().filter(is_temporary=True, ends_on__lt=today, ended_at__isnull=True))
    if not due:
        return 0
    ids = [o.pk for o in due]
    open_extra = Membership.objects.filter(org_id__in=ids, ended_on__isnull=True).exclude(kind=Membership.Kind.PRIMARY)
    per_org = dict(open_extra.values_list("org_id").annotate(n=Count("id")).order_by())
    ended = open_extra.update(ended_on=today, end_reason="temporary branch ended")
    Org.objects.filter(pk__in=ids, ended_at__isnull=True).update(ended_at=timezone.now())
    for org in due:
        audit(
            None,
            "org.temporary_expired",
            org,
            after={"ends_on": org.ends_on, "memberships_ended": per_org.get(org.pk, 0)},
            org_path=org.path,
            actor_name="system",
        )
    return ended


@transaction.atomic
def reward_add(
    *, member: Member, kind: str, title: str, issued_on: dt.date, acting_user: Any, issued_by: str = "", note: str = ""
) -> RewardDiscipline:
    require_org_perm(acting_user, member.org, "members.manage")
    obj = RewardDiscipline(member=member, kind=kind, title=title, issued_on=issued_on, issued_by=issued_by, note=note)
    _full_clean(obj)
    obj.save()
    audit(acting_user, f"member.{kind}", member, after={"title": title, "issued_on": issued_on})
    return obj


def member_may_reveal(*, member: Member, user: Any) -> bool:
    """Members see their own clear values; otherwise the ``members.reveal`` permission over the branch."""
    is_self = member.user_id is not None and member.user_id == getattr(user, "pk", None)
    return is_self or has_org_perm(user, member.org, "members.reveal")


def member_reveal(*, member: Member, field: str, acting_user: Any) -> str:
    """The clear value of a sensitive field, for a viewer allowed to see it; every reveal is audited."""
    if field not in SENSITIVE_FIELDS:
        raise DomainError(_("Unknown field."), [{"field": "field", "message": _("Unknown field.")}])
    if not member_may_reveal(member=member, user=acting_user):
        # The caller can see the record (it was fetched in scope) but not its clear values.
        audit(acting_user, "member.reveal", member, after={"field": field}, outcome=AuditEvent.Outcome.FAILURE)
        raise DomainError(_("You are not allowed to see this value."), status=403)
    audit(acting_user, "member.reveal", member, after={"field": field})
    return str(getattr(member, field) or "")
