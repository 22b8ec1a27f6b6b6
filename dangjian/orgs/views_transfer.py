"""Web screens for transfers (list, request, receive from outside, timeline with actions) and for mobile and
out-of-contact members."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, has_org_perm, members_visible_to, orgs_visible_to

from . import mobile, transfers
from .forms import DateInput, id_number_valid
from .forms_work import member_ref_field
from .models import ACTIVE_STATUSES, Member, MemberStatus, Org
from .models_transfer import ContactWarning, Transfer
from .selectors_work import contact_overview
from .views import _apply_domain_error

PAGE_SIZE = 30
ACTIVE_CHOICES = [(v, label) for v, label in MemberStatus.choices if v in ACTIVE_STATUSES]


def destination_orgs() -> Any:
    """Branches that can receive a transfer: any in the system (the destination is often outside one's scope)."""
    return Org.objects.filter(
        kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH], is_cloud=False, is_temporary=False, ended_at__isnull=True
    ).order_by("path")


class TransferRequestForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Member.objects.none(), label=gettext_lazy("Member"), required=False)
    kind = forms.ChoiceField(
        choices=[c for c in Transfer.Kind.choices if c[0] != Transfer.Kind.IN], label=gettext_lazy("Transfer")
    )
    to_org = forms.ModelChoiceField(queryset=Org.objects.none(), label=gettext_lazy("New branch"), required=False)
    external_org = forms.CharField(
        label=gettext_lazy("Receiving organisation outside the system"), max_length=128, required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example: new employer, moved house, away 6 months or more."),
    )

    def __init__(self, *args: Any, managed: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_org"]).queryset = destination_orgs()
        if managed is None:
            del self.fields["member"]
        else:
            self.fields["member"] = member_ref_field(managed, label=_("Member"))
            self.order_fields(["member", "kind", "to_org", "external_org", "reason"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Transfer.Kind.INTERNAL and not data.get("to_org"):
            self.add_error("to_org", _("Choose the new branch."))
        if data.get("kind") == Transfer.Kind.OUT and not (data.get("external_org") or "").strip():
            self.add_error("external_org", _("Name the receiving organisation."))
        return data


class TransferReceiveForm(forms.Form):
    to_org = forms.ModelChoiceField(queryset=Org.objects.none(), label=gettext_lazy("Receiving branch"))
    letter_no = forms.CharField(label=gettext_lazy("Letter number"), max_length=64)
    letter_issuer = forms.CharField(label=gettext_lazy("Issuing organisation"), max_length=128)
    letter_issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=DateInput())
    letter_valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        widget=DateInput(),
        required=False,
        help_text=gettext_lazy("Empty: the configured validity from the issue date."),
    )
    status = forms.ChoiceField(choices=ACTIVE_CHOICES, label=gettext_lazy("Party status"))
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=18)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64, required=False)
    gender = forms.ChoiceField(
        choices=[("", "—"), *Member.Gender.choices], label=gettext_lazy("Gender"), required=False
    )
    birth_date = forms.DateField(label=gettext_lazy("Birth date"), widget=DateInput(), required=False)
    probationary_date = forms.DateField(
        label=gettext_lazy("Admission date (probationary)"), widget=DateInput(), required=False
    )
    full_date = forms.DateField(label=gettext_lazy("Full membership date"), widget=DateInput(), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_org"]).queryset = orgs

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        if not id_number_valid(value):
            raise forms.ValidationError(_("Not a valid 18-digit ID number."))
        return value


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    qs = transfers.transfers_visible_to(request.user)
    status = request.GET.get("status", "")
    status = status if status in Transfer.Status.values else ""
    awaiting = request.GET.get("awaiting") == "1"
    if awaiting:
        qs = transfers.transfers_awaiting(request.user)
    if status:
        qs = qs.filter(status=status)
    qs = qs.select_related("member", "from_org", "to_org").order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = orgs_visible_to(request.user, "members.manage").exists()
    own = getattr(request.user, "member", None)
    if not can_manage and own is None:
        raise Http404
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(
        request,
        "orgs/transfer_list.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": Transfer.Status.choices,
            "awaiting": awaiting,
            "can_manage": can_manage,
            "own": own,
            "querystring": querystring.urlencode(),
        },
    )


@login_required
def transfer_new(request: HttpRequest) -> HttpResponse:
    managed = (
        members_visible_to(request.user, "members.manage").filter(status__in=ACTIVE_STATUSES).order_by("name", "id")
    )
    can_manage = orgs_visible_to(request.user, "members.manage").exists()
    own = Member.objects.filter(user_id=request.user.pk or 0).select_related("org").first()
    if not can_manage and own is None:
        raise Http404
    form = TransferRequestForm(request.POST or None, managed=managed if can_manage else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = data.get("member") or own
        if member is None:
            raise Http404
        try:
            transfer = transfers.transfer_request(
                member=member,
                kind=data["kind"],
                to_org=data.get("to_org"),
                external_org=data.get("external_org", ""),
                reason=data.get("reason", ""),
                acting_user=request.user,
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Transfer requested: the committee has been told."))
            return redirect("orgs:transfer_detail", pk=transfer.pk)
    return render(
        request,
        "orgs/transfer_form.html",
        {"form": form, "own": own if not can_manage else None},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def transfer_receive(request: HttpRequest) -> HttpResponse:
    orgs = (
        orgs_visible_to(request.user, "members.manage")
        .filter(kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH], is_cloud=False, is_temporary=False)
        .order_by("path")
    )
    if not orgs.exists():
        raise Http404
    form = TransferReceiveForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = {k: d.get(k) for k in ("id_number", "name", "gender", "birth_date", "probationary_date", "full_date")}
        try:
            transfer = transfers.transfer_receive(
                to_org=d["to_org"],
                acting_user=request.user,
                letter_no=d["letter_no"],
                letter_issuer=d["letter_issuer"],
                letter_issued_on=d["letter_issued_on"],
                letter_valid_until=d.get("letter_valid_until"),
                status=d["status"],
                person=person,
                reason=d.get("reason", ""),
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("Transfer accepted: the member is in the branch."))
            return redirect("orgs:transfer_detail", pk=transfer.pk)
    return render(
        request, "orgs/transfer_receive.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


STEP_PLAN = {
    Transfer.Kind.INTERNAL: ["requested", "approved", "accepted"],
    Transfer.Kind.OUT: ["requested", "approved", "letter_issued", "receipt"],
    Transfer.Kind.IN: ["received", "accepted"],
}
STEP_LABELS = {
    "requested": gettext_lazy("Requested"),
    "approved": gettext_lazy("Approved by the old side's committee"),
    "accepted": gettext_lazy("Accepted by the new branch"),
    "letter_issued": gettext_lazy("Introduction letter issued"),
    "receipt": gettext_lazy("Receipt returned, transferred out"),
    "received": gettext_lazy("Introduction letter received"),
}


def _timeline(transfer: Transfer, events: list[Any]) -> list[dict[str, Any]]:
    """Done steps with their date and who; the step it waits on (or how it ended) highlighted; steps ahead muted."""
    done = {e.action: e for e in events}
    items: list[dict[str, Any]] = []
    waiting = transfer.is_open
    for key in STEP_PLAN[Transfer.Kind(transfer.kind)]:
        if key in done:
            items.append({"label": STEP_LABELS[key], "event": done[key], "state": "done"})
        elif waiting:
            items.append({"label": STEP_LABELS[key], "event": None, "state": "current"})
            waiting = False
        elif transfer.is_open:
            items.append({"label": STEP_LABELS[key], "event": None, "state": "ahead"})
    for key in ("returned", "cancelled"):
        if key in done:
            items.append({"label": done[key].get_action_display(), "event": done[key], "state": "current"})
    if transfer.status == Transfer.Status.COMPLETED and items:
        items[-1]["state"] = "current"
    return items


def _detail(request: HttpRequest, transfer: Transfer, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    events = list(transfer.events.all())
    is_self = transfer.member.user_id is not None and transfer.member.user_id == user.pk
    can = {
        "approve": transfer.status == Transfer.Status.PENDING_APPROVAL
        and transfer.approver_org is not None
        and has_org_perm(user, transfer.approver_org, "members.manage"),
        "accept": transfer.status == Transfer.Status.PENDING_ACCEPTANCE
        and transfer.to_org is not None
        and has_org_perm(user, transfer.to_org, "members.manage"),
        "receipt": transfer.status == Transfer.Status.LETTER_ISSUED
        and transfer.from_org is not None
        and has_org_perm(user, transfer.from_org, "members.manage"),
        "cancel": transfer.status in (Transfer.Status.PENDING_APPROVAL, Transfer.Status.PENDING_ACCEPTANCE)
        and (is_self or (transfer.from_org is not None and has_org_perm(user, transfer.from_org, "members.manage"))),
    }
    can["return"] = transfer.is_open and (
        (transfer.approver_org is not None and has_org_perm(user, transfer.approver_org, "members.manage"))
        or can["accept"]
    )
    today = timezone.localdate()
    return render(
        request,
        "orgs/transfer_detail.html",
        {
            "transfer": transfer,
            "timeline": _timeline(transfer, events),
            "can": can,
            "error": error,
            "letter_expired": bool(
                transfer.letter_valid_until and transfer.letter_valid_until < today and transfer.is_open
            ),
        },
        status=status,
    )


def _visible(request: HttpRequest, pk: int) -> Transfer:
    qs = transfers.transfers_visible_to(request.user).select_related(
        "member", "from_org", "to_org", "approver_org", "requested_by"
    )
    return cast(Transfer, get_or_404(qs, pk=pk))


@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible(request, pk))


@login_required
@require_POST
def transfer_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """approve · accept · return · cancel · receipt; a refusal re-renders the timeline with 400."""
    transfer = _visible(request, pk)
    actions = {
        "approve": lambda: transfers.transfer_approve(
            transfer=transfer, acting_user=request.user, letter_no=request.POST.get("letter_no", "")
        ),
        "accept": lambda: transfers.transfer_accept(transfer=transfer, acting_user=request.user),
        "return": lambda: transfers.transfer_return(
            transfer=transfer, reason=request.POST.get("reason", ""), acting_user=request.user
        ),
        "cancel": lambda: transfers.transfer_cancel(transfer=transfer, acting_user=request.user),
        "receipt": lambda: transfers.transfer_confirm_receipt(transfer=transfer, acting_user=request.user),
    }
    if action not in actions:
        raise Http404
    try:
        actions[action]()
    except DomainError as exc:
        return _detail(
            request,
            Transfer.objects.select_related("member", "from_org", "to_org", "approver_org").get(pk=transfer.pk),
            exc.message,
            400,
        )
    messages.success(request, _("Saved."))
    return redirect("orgs:transfer_detail", pk=transfer.pk)


# --- Mobile and out-of-contact members ------------------------------------------------------------


class ContactMarkForm(forms.Form):
    member = forms.Field()
    kind = forms.ChoiceField(
        choices=[("mobile", gettext_lazy("Mobile (away under 6 months)")), ("lost", gettext_lazy("Out of contact"))],
        label=gettext_lazy("What"),
    )
    since = forms.CharField(label=gettext_lazy("Since"), widget=DateInput(), required=False)  # checked by the service
    whereabouts = forms.CharField(label=gettext_lazy("Whereabouts (mobile)"), max_length=128, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = members_visible_to(user, "members.manage").filter(status__in=ACTIVE_STATUSES).order_by("name", "id")
        self.fields["member"] = member_ref_field(scope, label=_("Member"))
        self.order_fields(["member", "kind", "since", "whereabouts"])
        self.fields["since"].initial = timezone.localdate


@login_required
def contact_page(
    request: HttpRequest, error: str = "", status: int = 200, mark_form: ContactMarkForm | None = None
) -> HttpResponse:
    if not orgs_visible_to(request.user, "members.manage").exists():
        raise Http404
    today = timezone.localdate()
    data = contact_overview(request.user, today=today)
    mark_form = mark_form or ContactMarkForm(user=request.user)
    return render(
        request,
        "orgs/transfer_contact.html",
        {**data, "today": today, "error": error, "mark_form": mark_form, "warning_kinds": ContactWarning.Kind},
        status=status,
    )


def _parse_date(value: str) -> Any:
    try:
        return forms.DateField().clean(value)
    except forms.ValidationError:
        return None


@login_required
@require_POST
def contact_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """mobile · mobile_end · activity · lost · found · decide — for one member in scope; bad input → 400."""
    member = get_or_404(members_visible_to(request.user).select_related("org"), pk=pk)
    p = request.POST
    actions = {
        "mobile": lambda: mobile.member_mark_mobile(
            member=member,
            since=_parse_date(p.get("since", "")),
            whereabouts=p.get("whereabouts", ""),
            acting_user=request.user,
        ),
        "mobile_end": lambda: mobile.member_end_mobile(member=member, acting_user=request.user),
        "activity": lambda: mobile.mobile_activity_record(
            member=member,
            on=_parse_date(p.get("on", "")),
            place=p.get("place", ""),
            activity=p.get("activity", ""),
            acting_user=request.user,
        ),
        "lost": lambda: mobile.member_mark_out_of_contact(
            member=member, since=_parse_date(p.get("since", "")), acting_user=request.user
        ),
        "found": lambda: mobile.member_contact_restored(member=member, acting_user=request.user),
        "decide": lambda: mobile.member_contact_decide(
            member=member,
            decision=p.get("decision", ""),
            effective_on=_parse_date(p.get("effective_on", "")),
            reason=p.get("reason", ""),
            acting_user=request.user,
        ),
    }
    if action not in actions:
        raise Http404
    try:
        actions[action]()
    except DomainError as exc:
        return contact_page(request, error=f"{member.name}：{exc.message}", status=400)
    messages.success(request, _("Saved."))
    return redirect("orgs:contact")


@login_required
@require_POST
def contact_mark(request: HttpRequest) -> HttpResponse:
    """Record a member in scope as mobile or out of contact (chosen from a list, or by employee number)."""
    form = ContactMarkForm(request.POST, user=request.user)
    if not form.is_valid():
        return contact_page(request, error=_("Choose a member and what to record."), status=400, mark_form=form)
    return contact_act(request, form.cleaned_data["member"].pk, form.cleaned_data["kind"])
