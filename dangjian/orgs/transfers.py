"""Membership transfers (组织关系转接): request, committee approval, acceptance, return, introduction letters.

Who approves: the old side's committee — the nearest Party committee above the old branch, whatever the
destination. The old organisation stays responsible until the new one accepts (党员教育管理工作条例), and it
is that committee which issues the introduction letter, so the approval sits with it even when both branches
share a higher committee. The new branch then accepts; ``Member.org`` moves only then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import OrgRole
from dangjian.core.audit import audit, snapshot
from dangjian.core.crypto import blind_index
from dangjian.core.errors import DomainError
from dangjian.core.scoping import has_org_perm, is_global_admin, path_q, require_org_perm, scope_paths
from dangjian.notices.services import notify

from . import services
from .forms import id_number_valid
from .models import ACTIVE_STATUSES, Member, Membership, MemberStatus, Org, OrgPost, StatusChange
from .models_transfer import Transfer, TransferEvent
from .timing import configured_int

LETTER_VALID_DAYS = 90  # DOMAIN.md: no national figure; core.Setting "transfers.letter_valid_days"
LETTER_REMIND_DAYS = 7
PERSON_FIELDS = {
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "phone",
    "education",
    "employee_no",
    "department",
    "job_title",
    "probationary_date",
    "full_date",
}
TRANSFER_AUDIT = [
    "kind",
    "status",
    "member_id",
    "from_org_id",
    "to_org_id",
    "external_org",
    "letter_no",
    "letter_valid_until",
    "return_reason",
]


def _err(field: str, message: str, status: int | None = None) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}], status=status)


def letter_valid_days() -> int:
    return configured_int("transfers.letter_valid_days", LETTER_VALID_DAYS)


def approving_committee(org: Org) -> Org | None:
    """The nearest Party committee above ``org`` (one query on the indexed path prefixes)."""
    return org.get_ancestors().filter(kind=Org.Kind.COMMITTEE).order_by("-depth").first()


def transfers_visible_to(user: Any) -> QuerySet[Transfer]:
    """Transfers touching an org in the user's scope (either side), and the user's own."""
    if is_global_admin(user):
        return Transfer.objects.all()
    if not user or not user.is_authenticated:
        return Transfer.objects.none()
    paths = scope_paths(user, "members.view")
    return Transfer.objects.filter(path_q(paths, "from_path") | path_q(paths, "to_path") | Q(member__user=user))


def transfers_awaiting(user: Any) -> QuerySet[Transfer]:
    """Open transfers the user can act on next: approve, accept, or record a letter's receipt."""
    if is_global_admin(user):
        return Transfer.objects.filter(status__in=Transfer.OPEN)
    paths = scope_paths(user, "members.manage")
    return Transfer.objects.filter(
        (Q(status=Transfer.Status.PENDING_APPROVAL) & path_q(paths, "approver_path"))
        | (Q(status=Transfer.Status.PENDING_ACCEPTANCE) & path_q(paths, "to_path"))
        | (Q(status=Transfer.Status.LETTER_ISSUED) & path_q(paths, "from_path"))
    )


def _is_self(user: Any, member: Member) -> bool:
    return member.user_id is not None and member.user_id == getattr(user, "pk", None)


def _roles_of(org: Org | None) -> list[Any]:
    if org is None:
        return []
    return [r.user for r in OrgRole.objects.filter(org=org, ended_at__isnull=True).select_related("user")]


def _event(transfer: Transfer, action: str, user: Any, note: str = "") -> None:
    real = user if user is not None and getattr(user, "is_authenticated", False) else None
    TransferEvent.objects.create(
        transfer=transfer,
        action=action,
        actor=real,
        actor_name=(getattr(real, "name", "") or real.get_username()) if real else "",
        note=note[:255],
    )


def _dues_settled(member: Member, on: dt.date) -> None:
    from dangjian.dues.services import dues_paid_up_to

    if not dues_paid_up_to(member=member, month=on):
        raise _err(
            "dues",
            _("Party dues are not paid up to %(month)s: settle the dues before the transfer.")
            % {"month": f"{on:%Y-%m}"},
        )


def _day(on: dt.date | None) -> dt.date:
    today = timezone.localdate()
    if on is not None and on > today:
        raise _err("on", _("The date cannot be in the future."))
    return on or today


def _check_destination(org: Org) -> None:
    if org.kind not in (Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH):
        raise _err("to_org", _("Transfer to a branch or general branch (Party groups are assigned within the branch)."))
    if org.is_cloud or org.is_temporary or org.ended_at is not None:
        raise _err(
            "to_org", _("Cloud and temporary branches hold extra memberships only; they cannot receive a transfer.")
        )


def _move_primary(member: Member, org: Org, on: dt.date, reason: str, acting_user: Any, history: bool = True) -> None:
    """End the primary membership (and posts held in the old branch), start one in ``org``; extras stay."""
    before = snapshot(member, services.MEMBER_AUDIT_FIELDS)
    old = member.org
    Membership.objects.filter(member=member, kind=Membership.Kind.PRIMARY, ended_on__isnull=True).update(
        ended_on=on, end_reason="transferred"
    )
    Membership.objects.create(member=member, org=org, kind=Membership.Kind.PRIMARY, started_on=on)
    if old is not None:
        OrgPost.objects.filter(member=member, ended_on__isnull=True, org__path__startswith=old.path).update(ended_on=on)
    member.org = org
    member.is_mobile, member.mobile_since, member.mobile_whereabouts = False, None, ""
    member.save()
    if history:
        StatusChange.objects.create(
            member=member,
            from_status=member.status,
            to_status=member.status,
            effective_on=on,
            reason=reason[:255],
            recorded_by=services._user(acting_user),
        )
    audit(acting_user, "member.transfer", member, before=before, after=snapshot(member, services.MEMBER_AUDIT_FIELDS))


def _lock(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "member__org", "from_org", "to_org", "approver_org")
        .get(pk=transfer.pk)
    )


@transaction.atomic
def transfer_request(
    *,
    member: Member,
    kind: str,
    acting_user: Any,
    to_org: Org | None = None,
    external_org: str = "",
    reason: str = "",
    on: dt.date | None = None,
) -> Transfer:
    """The member or their branch asks to move the membership within the system or out of it."""
    if not (_is_self(acting_user, member) or has_org_perm(acting_user, member.org, "members.manage")):
        raise Http404
    on = _day(on)
    if kind not in (Transfer.Kind.INTERNAL, Transfer.Kind.OUT):
        raise _err("kind", _("Choose a transfer within the system or out of it."))
    member = Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=member.pk)
    if member.status not in ACTIVE_STATUSES:
        raise _err("member", _("Only full and probationary members transfer their membership."))
    if Transfer.objects.filter(member=member, status__in=Transfer.OPEN).exists():
        raise _err("member", _("This member already has a transfer in progress."))
    external_org = external_org.strip()
    if kind == Transfer.Kind.INTERNAL:
        if to_org is None:
            raise _err("to_org", _("Choose the new branch."))
        _check_destination(to_org)
        if to_org.pk == member.org_id:
            raise _err("to_org", _("The member is already in this branch."))
        external_org = ""
    else:
        if not external_org:
            raise _err("external_org", _("Name the receiving organisation."))
        to_org = None
    approver = approving_committee(member.org)
    if approver is None:
        raise _err("member", _("No Party committee above this branch can approve the transfer."))
    _dues_settled(member, on)
    transfer = Transfer.objects.create(
        kind=kind,
        status=Transfer.Status.PENDING_APPROVAL,
        member=member,
        from_org=member.org,
        from_path=member.org.path,
        to_org=to_org,
        to_path=to_org.path if to_org else "",
        approver_org=approver,
        approver_path=approver.path,
        external_org=external_org[:128],
        reason=reason.strip()[:200],
        requested_by=services._user(acting_user),
        requested_on=on,
    )
    _event(transfer, TransferEvent.Action.REQUESTED, acting_user, transfer.reason)
    audit(
        acting_user, "transfer.request", transfer, after=snapshot(transfer, TRANSFER_AUDIT), org_path=transfer.from_path
    )
    notify(
        recipients=_roles_of(approver),
        title=_("Transfer to approve: %(name)s, %(a)s → %(b)s")
        % {"name": member.name, "a": member.org.name, "b": transfer.destination},
        url=f"/orgs/transfers/{transfer.pk}/",
        kind="orgs.transfer",
    )
    return transfer


@transaction.atomic
def transfer_approve(
    *, transfer: Transfer, acting_user: Any, letter_no: str = "", on: dt.date | None = None
) -> Transfer:
    """The old side's committee approves; going out of the system it issues the introduction letter."""
    transfer = _lock(transfer)
    if transfer.approver_org is None:
        raise Http404
    require_org_perm(acting_user, transfer.approver_org, "members.manage")
    on = _day(on)
    if transfer.status != Transfer.Status.PENDING_APPROVAL:
        raise _err("status", _("This transfer is not awaiting approval."))
    before = snapshot(transfer, TRANSFER_AUDIT)
    _event(transfer, TransferEvent.Action.APPROVED, acting_user)
    if transfer.kind == Transfer.Kind.INTERNAL:
        transfer.status = Transfer.Status.PENDING_ACCEPTANCE
        notify(
            recipients=_roles_of(transfer.to_org),
            title=_("Transfer to accept: %(name)s from %(a)s") % {"name": transfer.member.name, "a": transfer.origin},
            url=f"/orgs/transfers/{transfer.pk}/",
            kind="orgs.transfer",
        )
    else:
        letter_no = letter_no.strip()[:64] or f"{on:%Y}-{transfer.pk:05d}"
        transfer.status = Transfer.Status.LETTER_ISSUED
        transfer.letter_no, transfer.letter_issuer, transfer.letter_receiver = (
            letter_no,
            transfer.approver_org.name,
            transfer.external_org,
        )
        transfer.letter_issued_on, transfer.letter_valid_until = on, on + dt.timedelta(days=letter_valid_days())
        _event(
            transfer,
            TransferEvent.Action.LETTER_ISSUED,
            acting_user,
            _("No. %(no)s, valid until %(d)s") % {"no": letter_no, "d": f"{transfer.letter_valid_until:%Y-%m-%d}"},
        )
    transfer.save()
    audit(
        acting_user,
        "transfer.approve",
        transfer,
        before=before,
        after=snapshot(transfer, TRANSFER_AUDIT),
        org_path=transfer.from_path,
    )
    notify(
        recipients=[transfer.member.user],
        title=_("Your transfer was approved"),
        url=f"/orgs/transfers/{transfer.pk}/",
        kind="orgs.transfer",
    )
    return transfer


def _closing_step(
    transfer: Transfer, *, side: Org | None, status: str, refusal: str, acting_user: Any, on: dt.date | None
) -> tuple[Transfer, Member, dt.date, dict[str, Any]]:
    """What the two steps that move a member (acceptance, a returned receipt) check first: the acting side's
    scope, the transfer's state, the member locked, and dues paid up to the month."""
    if side is None:
        raise Http404
    require_org_perm(acting_user, side, "members.manage")
    day = _day(on)
    if transfer.status != status:
        raise _err("status", refusal)
    member = Member.objects.select_for_update(of=("self",)).select_related("org").get(pk=transfer.member_id)
    _dues_settled(member, day)
    return transfer, member, day, snapshot(transfer, TRANSFER_AUDIT)


@transaction.atomic
def transfer_accept(*, transfer: Transfer, acting_user: Any, on: dt.date | None = None) -> Transfer:
    """The new branch accepts: the member's primary membership moves now, and only now."""
    transfer = _lock(transfer)
    transfer, member, on, before = _closing_step(
        transfer,
        side=transfer.to_org,
        status=Transfer.Status.PENDING_ACCEPTANCE,
        refusal=_("This transfer is not awaiting acceptance."),
        acting_user=acting_user,
        on=on,
    )
    to_org = transfer.to_org
    assert to_org is not None  # _closing_step answered 404 otherwise
    _move_primary(
        member,
        to_org,
        on,
        _("Transferred from %(a)s to %(b)s") % {"a": transfer.origin, "b": to_org.name},
        acting_user,
    )
    transfer.status, transfer.completed_on = Transfer.Status.COMPLETED, on
    transfer.save()
    _event(transfer, TransferEvent.Action.ACCEPTED, acting_user)
    audit(
        acting_user,
        "transfer.accept",
        transfer,
        before=before,
        after=snapshot(transfer, TRANSFER_AUDIT),
        org_path=transfer.to_path,
    )
    notify(
        recipients=[member.user, *_roles_of(transfer.from_org)],
        title=_("Transfer completed: %(name)s is now in %(b)s") % {"name": member.name, "b": to_org.name},
        url=f"/orgs/transfers/{transfer.pk}/",
        kind="orgs.transfer",
    )
    return transfer


@transaction.atomic
def transfer_return(*, transfer: Transfer, reason: str, acting_user: Any) -> Transfer:
    """Either side sends the transfer back with a reason: the old side's committee while it is open, the new
    branch while it awaits acceptance. The member stays where they are."""
    transfer = _lock(transfer)
    old_side = transfer.approver_org is not None and has_org_perm(acting_user, transfer.approver_org, "members.manage")
    new_side = transfer.to_org is not None and has_org_perm(acting_user, transfer.to_org, "members.manage")
    if not (old_side or new_side):
        raise Http404
    if not transfer.is_open:
        raise _err("status", _("This transfer is already closed."))
    if not old_side and transfer.status != Transfer.Status.PENDING_ACCEPTANCE:
        raise _err("status", _("The new branch can return a transfer only once it awaits acceptance."))
    reason = reason.strip()
    if not reason:
        raise _err("reason", _("Give the reason for returning it."))
    before = snapshot(transfer, TRANSFER_AUDIT)
    transfer.status, transfer.return_reason = Transfer.Status.RETURNED, reason[:200]
    transfer.save()
    _event(transfer, TransferEvent.Action.RETURNED, acting_user, reason)
    audit(
        acting_user,
        "transfer.return",
        transfer,
        before=before,
        after=snapshot(transfer, TRANSFER_AUDIT),
        org_path=transfer.from_path,
    )
    notify(
        recipients=[transfer.member.user, *_roles_of(transfer.from_org)],
        title=_("Transfer returned: %(name)s") % {"name": transfer.member.name},
        body=reason,
        url=f"/orgs/transfers/{transfer.pk}/",
        kind="orgs.transfer",
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, acting_user: Any) -> Transfer:
    """The member or the old branch withdraws a transfer that has not been accepted."""
    transfer = _lock(transfer)
    if not (
        _is_self(acting_user, transfer.member)
        or (transfer.from_org and has_org_perm(acting_user, transfer.from_org, "members.manage"))
    ):
        raise Http404
    if transfer.status not in (Transfer.Status.PENDING_APPROVAL, Transfer.Status.PENDING_ACCEPTANCE):
        raise _err("status", _("Only a transfer not yet accepted can be withdrawn."))
    before = snapshot(transfer, TRANSFER_AUDIT)
    transfer.status = Transfer.Status.CANCELLED
    transfer.save()
    _event(transfer, TransferEvent.Action.CANCELLED, acting_user)
    audit(
        acting_user,
        "transfer.cancel",
        transfer,
        before=before,
        after=snapshot(transfer, TRANSFER_AUDIT),
        org_path=transfer.from_path,
    )
    return transfer


@transaction.atomic
def transfer_confirm_receipt(*, transfer: Transfer, acting_user: Any, on: dt.date | None = None) -> Transfer:
    """Out of the system: the receipt (回执) came back, so the member leaves: status ``transferred_out``."""
    transfer = _lock(transfer)
    transfer, member, on, before = _closing_step(
        transfer,
        side=transfer.from_org,
        status=Transfer.Status.LETTER_ISSUED,
        refusal=_("No introduction letter is awaiting its receipt."),
        acting_user=acting_user,
        on=on,
    )
    Membership.objects.filter(member=member, kind=Membership.Kind.PRIMARY, ended_on__isnull=True).update(
        ended_on=on, end_reason="transferred out"
    )
    OrgPost.objects.filter(member=member, ended_on__isnull=True).update(ended_on=on)
    services.member_change_status(
        member=member,
        to_status=MemberStatus.TRANSFERRED_OUT,
        effective_on=on,
        acting_user=acting_user,
        reason=(
            _("Transferred out to %(org)s, letter %(no)s") % {"org": transfer.external_org, "no": transfer.letter_no}
        )[:255],
    )
    transfer.status, transfer.completed_on = Transfer.Status.COMPLETED, on
    transfer.save()
    _event(transfer, TransferEvent.Action.RECEIPT, acting_user)
    audit(
        acting_user,
        "transfer.receipt",
        transfer,
        before=before,
        after=snapshot(transfer, TRANSFER_AUDIT),
        org_path=transfer.from_path,
    )
    return transfer


@transaction.atomic
def transfer_receive(
    *,
    to_org: Org,
    acting_user: Any,
    letter_no: str,
    letter_issuer: str,
    letter_issued_on: dt.date,
    status: str,
    person: dict[str, Any],
    letter_valid_until: dt.date | None = None,
    reason: str = "",
    on: dt.date | None = None,
) -> Transfer:
    """From outside the system: the branch takes the member's introduction letter and accepts them, creating
    the member record or reactivating the one left when they transferred out (found by ID number)."""
    require_org_perm(acting_user, to_org, "members.manage")
    on = _day(on)
    _check_destination(to_org)
    letter_no, letter_issuer = letter_no.strip()[:64], letter_issuer.strip()[:128]
    if not letter_no:
        raise _err("letter_no", _("Give the letter number."))
    if not letter_issuer:
        raise _err("letter_issuer", _("Name the issuing organisation."))
    if letter_issued_on > on:
        raise _err("letter_issued_on", _("The letter cannot be issued after it is received."))
    valid_until = letter_valid_until or letter_issued_on + dt.timedelta(days=letter_valid_days())
    if valid_until < letter_issued_on:
        raise _err("letter_valid_until", _("The letter cannot expire before it is issued."))
    if valid_until < on:
        raise _err(
            "letter_valid_until",
            _("The introduction letter expired on %(d)s: ask the issuing organisation for a new one.")
            % {"d": f"{valid_until:%Y-%m-%d}"},
        )
    if status not in ACTIVE_STATUSES:
        raise _err("status", _("A member transfers in as a full or probationary member."))
    id_number = str(person.get("id_number") or "").strip().upper()
    if not id_number_valid(id_number):
        raise _err("id_number", _("Not a valid 18-digit ID number."))
    member = (
        Member.objects.select_for_update(of=("self",))
        .select_related("org")
        .filter(id_number_index=blind_index(id_number))
        .first()
    )
    how = _("Transferred in from %(org)s, letter %(no)s") % {"org": letter_issuer, "no": letter_no}
    if member is not None:
        if member.status != MemberStatus.TRANSFERRED_OUT:
            raise _err(
                "id_number",
                _("This person already has an active record in the system: transfer them within the system."),
            )
        dates = {"probationary_date": member.probationary_date, "full_date": member.full_date}
        _move_primary(member, to_org, on, how, acting_user, history=False)
        services.member_change_status(
            member=member, to_status=status, effective_on=on, reason=how[:255], acting_user=acting_user
        )
        # Party standing keeps its original dates: a transfer is not an admission.
        kept = {k: v for k, v in dates.items() if v is not None and getattr(member, k) != v}
        if kept:
            services.member_update(member=member, acting_user=acting_user, **kept)
    else:
        fields = {k: v for k, v in person.items() if k in PERSON_FIELDS and v not in (None, "")}
        missing = [f for f in ("name", "gender", "birth_date") if f not in fields]
        if missing:
            raise DomainError(
                _("These fields are required for a new record: %(f)s") % {"f": ", ".join(missing)},
                [{"field": f, "message": _("Required")} for f in missing],
            )
        member = services.member_create(
            org=to_org, status=status, acting_user=acting_user, joined_on=on, id_number=id_number, **fields
        )
        StatusChange.objects.filter(member=member).update(reason=how[:255])
    transfer = Transfer.objects.create(
        kind=Transfer.Kind.IN,
        status=Transfer.Status.COMPLETED,
        member=member,
        to_org=to_org,
        to_path=to_org.path,
        external_org=letter_issuer,
        reason=reason.strip()[:200],
        letter_no=letter_no,
        letter_issuer=letter_issuer,
        letter_receiver=to_org.name,
        letter_issued_on=letter_issued_on,
        letter_valid_until=valid_until,
        requested_by=services._user(acting_user),
        requested_on=on,
        completed_on=on,
    )
    _event(transfer, TransferEvent.Action.RECEIVED, acting_user, f"{letter_issuer} · {letter_no}")
    _event(transfer, TransferEvent.Action.ACCEPTED, acting_user)
    audit(acting_user, "transfer.receive", transfer, after=snapshot(transfer, TRANSFER_AUDIT), org_path=to_org.path)
    return transfer


def letters_remind(*, today: dt.date | None = None) -> int:
    """Introduction letters still awaiting their receipt: remind the old branch and the member 7 days before
    the letter expires and again when it expires (each once). Returns the notifications sent."""
    today = today or timezone.localdate()
    sent = 0
    base = Transfer.objects.filter(status=Transfer.Status.LETTER_ISSUED).select_related("member__user", "from_org")
    batches = [
        (
            "reminded_before_at",
            base.filter(
                reminded_before_at__isnull=True,
                letter_valid_until__gt=today,
                letter_valid_until__lte=today + dt.timedelta(days=LETTER_REMIND_DAYS),
            ),
        ),
        ("reminded_expiry_at", base.filter(reminded_expiry_at__isnull=True, letter_valid_until__lte=today)),
    ]
    for flag, qs in batches:
        for transfer in qs:
            with transaction.atomic():
                if not Transfer.objects.filter(pk=transfer.pk, **{f"{flag}__isnull": True}).update(
                    **{flag: timezone.now()}
                ):
                    continue
                expired = flag == "reminded_expiry_at"
                title = (
                    _("Introduction letter %(no)s for %(name)s has expired")
                    if expired
                    else _("Introduction letter %(no)s for %(name)s expires on %(d)s")
                ) % {
                    "no": transfer.letter_no,
                    "name": transfer.member.name,
                    "d": f"{transfer.letter_valid_until:%Y-%m-%d}",
                }
                sent += len(
                    notify(
                        recipients=[transfer.member.user, *_roles_of(transfer.from_org)],
                        title=title,
                        body=transfer.letter_receiver,
                        url=f"/orgs/transfers/{transfer.pk}/",
                        kind="orgs.transfer_letter",
                    )
                )
    return sent
