"""API for member work: transfers (list, request, receive, act) and member development (pipeline, cases, steps)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, members_visible_to, orgs_visible_to

from . import development, transfers
from .models import Member, Org
from .models_development import STEPS, DevelopmentContact
from .models_transfer import Transfer
from .selectors_work import case_row, cases_visible_to, pipeline_rows, pipeline_summary

transfers_router = Router(tags=["orgs"])
development_router = Router(tags=["orgs"])

MAX_PAGE_SIZE = 200


def _no_nul(v: Any) -> Any:
    if isinstance(v, str) and "\x00" in v:
        raise PydanticCustomError("null_character", _("Null characters are not allowed."))
    return v


class _In(Schema):
    @field_validator("*")
    @classmethod
    def _clean(cls, v: Any) -> Any:
        return _no_nul(v)


def _rename(exc: DomainError, names: dict[str, str]) -> DomainError:
    """Services name an org ``to_org``; the API's payloads say ``to_org_id``."""
    exc.errors = [{**e, "field": names.get(e.get("field", ""), e.get("field", ""))} for e in exc.errors]
    return exc


def _org_or_400(pk: int | None, field: str) -> Org | None:
    if pk is None:
        return None
    org = Org.objects.filter(pk=pk).first()
    if org is None:
        raise DomainError(_("Unknown organisation."), [{"field": field, "message": _("Unknown organisation.")}])
    return org


# --- Transfers ----------------------------------------------------------------------------------


class TransferEventOut(Schema):
    action: str
    label: str
    at: dt.datetime
    actor: str
    note: str


class TransferOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    member_id: int
    member_name: str
    from_org_id: int | None
    from_org_name: str
    to_org_id: int | None
    to_org_name: str
    approver_org_id: int | None
    reason: str
    return_reason: str
    letter_no: str
    letter_issuer: str
    letter_receiver: str
    letter_issued_on: dt.date | None
    letter_valid_until: dt.date | None
    requested_on: dt.date
    completed_on: dt.date | None


class TransferDetailOut(TransferOut):
    events: list[TransferEventOut]


class TransferListOut(Schema):
    items: list[TransferOut]
    count: int


class TransferCreate(_In):
    member_id: int | None = Field(default=None, description="Empty: the caller's own record")
    kind: Literal["internal", "out"]
    to_org_id: int | None = None
    external_org: str = Field(default="", max_length=128)
    reason: str = Field(default="", max_length=200)


class TransferReceive(_In):
    to_org_id: int
    letter_no: str = Field(min_length=1, max_length=64)
    letter_issuer: str = Field(min_length=1, max_length=128)
    letter_issued_on: dt.date
    letter_valid_until: dt.date | None = None
    status: Literal["full", "probationary"]
    id_number: str = Field(min_length=18, max_length=18)
    name: str | None = Field(default=None, max_length=64)
    gender: Member.Gender | None = None
    birth_date: dt.date | None = None
    probationary_date: dt.date | None = None
    full_date: dt.date | None = None
    reason: str = Field(default="", max_length=200)


class ApproveIn(_In):
    letter_no: str = Field(default="", max_length=64)


class ReasonIn(_In):
    reason: str = Field(min_length=1, max_length=200)


def _transfer_out(t: Transfer, cls: type[TransferOut] = TransferOut, **extra: Any) -> Any:
    return cls(
        id=t.pk,
        kind=t.kind,
        status=t.status,
        status_label=str(t.get_status_display()),
        member_id=t.member_id,
        member_name=t.member.name,
        from_org_id=t.from_org_id,
        from_org_name=t.origin,
        to_org_id=t.to_org_id,
        to_org_name=t.destination,
        approver_org_id=t.approver_org_id,
        reason=t.reason,
        return_reason=t.return_reason,
        letter_no=t.letter_no,
        letter_issuer=t.letter_issuer,
        letter_receiver=t.letter_receiver,
        letter_issued_on=t.letter_issued_on,
        letter_valid_until=t.letter_valid_until,
        requested_on=t.requested_on,
        completed_on=t.completed_on,
        **extra,
    )


def _transfer(request: HttpRequest, pk: int) -> Transfer:
    qs = transfers.transfers_visible_to(request.user).select_related("member", "from_org", "to_org", "approver_org")
    return get_or_404(qs, pk=pk)  # type: ignore[no-any-return]


def _detail(request: HttpRequest, pk: int) -> TransferDetailOut:
    t = _transfer(request, pk)
    events = [
        TransferEventOut(action=e.action, label=str(e.get_action_display()), at=e.at, actor=e.actor_name, note=e.note)
        for e in t.events.all()
    ]
    return _transfer_out(t, TransferDetailOut, events=events)  # type: ignore[no-any-return]


@transfers_router.get("", response=TransferListOut)
def transfer_list(
    request: HttpRequest,
    status: Transfer.Status | None = None,
    kind: Transfer.Kind | None = None,
    awaiting: bool = False,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:  # type: ignore[type-arg]
    """Transfers touching the caller's scope (or their own); ``awaiting`` keeps those the caller acts on next."""
    qs = transfers.transfers_awaiting(request.user) if awaiting else transfers.transfers_visible_to(request.user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.select_related("member", "from_org", "to_org").order_by("-created_at", "-id")
    start = (page - 1) * page_size
    return {"items": [_transfer_out(t) for t in qs[start : start + page_size]], "count": qs.count()}


@transfers_router.post("", response={201: TransferDetailOut})
def transfer_create(request: HttpRequest, payload: TransferCreate) -> Status[TransferDetailOut]:
    """Ask for a transfer: a member for themself, a secretary for a member of the branch."""
    if payload.member_id is None:
        member = Member.objects.filter(user_id=request.user.pk or 0).select_related("org").first()
        if member is None:
            raise DomainError(_("Name the member."), [{"field": "member_id", "message": _("Required")}])
    else:
        member = get_or_404(members_visible_to(request.user).select_related("org"), pk=payload.member_id)
    to_org = _org_or_400(payload.to_org_id, "to_org_id")
    try:
        t = transfers.transfer_request(
            member=member,
            kind=payload.kind,
            to_org=to_org,
            external_org=payload.external_org,
            reason=payload.reason,
            acting_user=request.user,
        )
    except DomainError as exc:
        raise _rename(exc, {"to_org": "to_org_id", "member": "member_id"}) from None
    return Status(201, _detail(request, t.pk))


@transfers_router.post("/receive", response={201: TransferDetailOut})
def transfer_receive(request: HttpRequest, payload: TransferReceive) -> Status[TransferDetailOut]:
    """From outside the system: record the introduction letter and accept the member into a branch in scope."""
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=payload.to_org_id)
    person = payload.model_dump(include={"id_number", "name", "gender", "birth_date", "probationary_date", "full_date"})
    try:
        t = transfers.transfer_receive(
            to_org=org,
            acting_user=request.user,
            letter_no=payload.letter_no,
            letter_issuer=payload.letter_issuer,
            letter_issued_on=payload.letter_issued_on,
            letter_valid_until=payload.letter_valid_until,
            status=payload.status,
            person=person,
            reason=payload.reason,
        )
    except DomainError as exc:
        raise _rename(exc, {"to_org": "to_org_id"}) from None
    return Status(201, _detail(request, t.pk))


@transfers_router.get("/{transfer_id}", response=TransferDetailOut)
def transfer_detail(request: HttpRequest, transfer_id: int) -> TransferDetailOut:
    return _detail(request, transfer_id)


@transfers_router.post("/{transfer_id}/approve", response=TransferDetailOut)
def transfer_approve(request: HttpRequest, transfer_id: int, payload: ApproveIn) -> TransferDetailOut:
    transfers.transfer_approve(
        transfer=_transfer(request, transfer_id), acting_user=request.user, letter_no=payload.letter_no
    )
    return _detail(request, transfer_id)


@transfers_router.post("/{transfer_id}/accept", response=TransferDetailOut)
def transfer_accept(request: HttpRequest, transfer_id: int) -> TransferDetailOut:
    transfers.transfer_accept(transfer=_transfer(request, transfer_id), acting_user=request.user)
    return _detail(request, transfer_id)


@transfers_router.post("/{transfer_id}/return", response=TransferDetailOut)
def transfer_return(request: HttpRequest, transfer_id: int, payload: ReasonIn) -> TransferDetailOut:
    transfers.transfer_return(transfer=_transfer(request, transfer_id), reason=payload.reason, acting_user=request.user)
    return _detail(request, transfer_id)


@transfers_router.post("/{transfer_id}/cancel", response=TransferDetailOut)
def transfer_cancel(request: HttpRequest, transfer_id: int) -> TransferDetailOut:
    transfers.transfer_cancel(transfer=_transfer(request, transfer_id), acting_user=request.user)
    return _detail(request, transfer_id)


@transfers_router.post("/{transfer_id}/receipt", response=TransferDetailOut)
def transfer_receipt(request: HttpRequest, transfer_id: int) -> TransferDetailOut:
    transfers.transfer_confirm_receipt(transfer=_transfer(request, transfer_id), acting_user=request.user)
    return _detail(request, transfer_id)


# --- Member development -------------------------------------------------------------------------


class PipelineItem(Schema):
    case_id: int
    member_id: int
    name: str
    org_id: int
    org_name: str
    status: str
    current_step: int
    next_step: int | None
    next_label: str
    due_step: int | None
    due_on: dt.date | None
    overdue: bool


class PipelineOut(Schema):
    items: list[PipelineItem]
    count: int


class StepCount(Schema):
    number: int
    label: str
    people: int
    overdue: int


class StageOut(Schema):
    number: int
    label: str
    people: int
    overdue: int
    due_soon: int
    steps: list[StepCount]


class BoardOut(Schema):
    stages: list[StageOut]
    people: int
    overdue: int


class StepOut(Schema):
    id: int
    number: int
    label: str
    done_on: dt.date
    done_by: str
    notes: str
    class_hours: int | None
    training_days: int | None
    meeting_id: int | None
    should_attend: int | None
    present: int | None
    yes: int | None
    no: int | None
    abstain: int | None
    approver_org_id: int | None
    notice_from: dt.date | None
    notice_to: dt.date | None
    warnings: list[str]


class PersonOut(Schema):
    id: int
    name: str


class CaseOut(Schema):
    id: int
    member_id: int
    name: str
    member_status: str
    status: str
    current_step: int
    next_step: int | None
    due_step: int | None
    due_on: dt.date | None
    probation_ends: dt.date | None
    probation_extension_months: int | None
    mentors: list[PersonOut]
    sponsors: list[PersonOut]
    steps: list[StepOut]


class CaseStart(_In):
    member_id: int
    application_date: dt.date
    notes: str = Field(default="", max_length=2000)


class StepIn(_In):
    number: int = Field(ge=1, le=25)
    done_on: dt.date | None = None
    notes: str = Field(default="", max_length=2000)
    mentor_ids: list[int] = Field(default_factory=list, max_length=10)
    sponsor_ids: list[int] = Field(default_factory=list, max_length=10)
    class_hours: int | None = Field(default=None, ge=0, le=2000)
    training_days: int | None = Field(default=None, ge=0, le=365)
    meeting_id: int | None = None
    present: int | None = Field(default=None, ge=0, le=100000)
    yes: int | None = Field(default=None, ge=0, le=100000)
    no: int | None = Field(default=None, ge=0, le=100000)
    abstain: int | None = Field(default=None, ge=0, le=100000)
    approver_org_id: int | None = None
    notice_from: dt.date | None = None
    notice_to: dt.date | None = None


class ExtendIn(_In):
    months: int
    decided_on: dt.date
    reason: str = Field(min_length=1, max_length=200)


def _step_out(s: Any) -> StepOut:
    return StepOut(
        id=s.pk,
        number=s.number,
        label=str(STEPS[s.number]),
        done_on=s.done_on,
        done_by=s.done_by_name,
        notes=s.notes,
        class_hours=s.class_hours,
        training_days=s.training_days,
        meeting_id=s.meeting_id,
        should_attend=s.should_attend,
        present=s.present,
        yes=s.yes,
        no=s.no,
        abstain=s.abstain,
        approver_org_id=s.approver_org_id,
        notice_from=s.notice_from,
        notice_to=s.notice_to,
        warnings=list(s.warnings or []),
    )


def _case_out(request: HttpRequest, pk: int) -> CaseOut:
    case = get_or_404(cases_visible_to(request.user).select_related("member"), pk=pk)
    steps = list(case.steps.order_by("number", "done_on", "id"))
    contacts = list(case.contacts.select_related("member"))

    def people(role: str) -> list[PersonOut]:
        return [PersonOut(id=c.member_id, name=c.member.name) for c in contacts if c.role == role]

    return CaseOut(
        id=case.pk,
        member_id=case.member_id,
        name=case.member.name,
        member_status=case.member.status,
        status=case.status,
        current_step=case.current_step,
        next_step=case.next_step,
        due_step=case.due_step,
        due_on=case.due_on,
        probation_ends=development.probation_end(case, {s.number: s for s in steps}),
        probation_extension_months=case.probation_extension_months,
        mentors=people(DevelopmentContact.Role.MENTOR),
        sponsors=people(DevelopmentContact.Role.SPONSOR),
        steps=[_step_out(s) for s in steps],
    )


def _scoped_cases(request: HttpRequest, org: int | None) -> Any:
    cases = cases_visible_to(request.user)
    if org is not None:
        org_obj = get_or_404(orgs_visible_to(request.user), pk=org)
        cases = cases.filter(member__org_path__startswith=org_obj.path)
    return cases


@development_router.get("/pipeline", response=PipelineOut)
def pipeline(
    request: HttpRequest,
    org: int | None = None,
    stage: int | None = Query(None, ge=1, le=5),
    step: int | None = Query(None, ge=1, le=25),  # type: ignore[type-arg]
    overdue: bool = False,
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:  # type: ignore[type-arg]
    """Open cases in scope, the most urgent deadline first."""
    today = timezone.localdate()
    qs = pipeline_rows(_scoped_cases(request, org), today=today, stage=stage, step=step, overdue=overdue)
    start = (page - 1) * page_size
    items = []
    for case in qs[start : start + page_size]:
        r = case_row(case, today)
        m = case.member
        items.append(
            PipelineItem(
                case_id=case.pk,
                member_id=m.pk,
                name=m.name,
                org_id=m.org_id,
                org_name=m.org.name,
                status=m.status,
                current_step=case.current_step,
                next_step=r["next_step"],
                next_label=r["next_label"],
                due_step=case.due_step,
                due_on=case.due_on,
                overdue=r["state"] == "overdue",
            )
        )
    return {"items": items, "count": qs.count()}


@development_router.get("/board", response=BoardOut)
def board(request: HttpRequest, org: int | None = None) -> dict[str, Any]:
    """Counts per stage and step: people, overdue, due within 14 days (one GROUP BY)."""
    columns = pipeline_summary(_scoped_cases(request, org), today=timezone.localdate())
    stages = [
        StageOut(
            number=c.number,
            label=c.label,
            people=c.people,
            overdue=c.overdue,
            due_soon=c.due_soon,
            steps=[StepCount(**s) for s in c.steps],
        )
        for c in columns
    ]
    return {"stages": stages, "people": sum(c.people for c in columns), "overdue": sum(c.overdue for c in columns)}


@development_router.post("/cases", response={201: CaseOut})
def case_start(request: HttpRequest, payload: CaseStart) -> Status[CaseOut]:
    """Step 1: open a case for an applicant with the date of their written application."""
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=payload.member_id)
    try:
        case = development.development_start(
            member=member, application_date=payload.application_date, notes=payload.notes, acting_user=request.user
        )
    except DomainError as exc:
        raise _rename(exc, {"member": "member_id"}) from None
    return Status(201, _case_out(request, case.pk))


@development_router.get("/cases/{case_id}", response=CaseOut)
def case_detail(request: HttpRequest, case_id: int) -> CaseOut:
    return _case_out(request, case_id)


@development_router.post("/cases/{case_id}/steps", response={201: StepOut})
def step_record(request: HttpRequest, case_id: int, payload: StepIn) -> Status[StepOut]:
    """Record the next step; the answer carries the soft warnings it raised."""
    from dangjian.meetings.selectors import meetings_visible_to

    case = get_or_404(cases_visible_to(request.user).select_related("member", "member__org"), pk=case_id)
    meeting = None
    if payload.meeting_id is not None:
        meeting = meetings_visible_to(request.user).filter(pk=payload.meeting_id).first()
        if meeting is None:
            raise DomainError(_("Unknown meeting."), [{"field": "meeting_id", "message": _("Unknown meeting.")}])
    try:
        step = development.development_record_step(
            case=case,
            acting_user=request.user,
            meeting=meeting,
            approver_org=_org_or_400(payload.approver_org_id, "approver_org_id"),
            **payload.model_dump(exclude={"meeting_id", "approver_org_id"}),
        )
    except DomainError as exc:
        raise _rename(exc, {"approver_org": "approver_org_id", "meeting": "meeting_id"}) from None
    return Status(201, _step_out(step))


@development_router.post("/cases/{case_id}/extend", response=CaseOut)
def case_extend(request: HttpRequest, case_id: int, payload: ExtendIn) -> CaseOut:
    """Extend probation by 6 to 12 months."""
    case = get_or_404(cases_visible_to(request.user), pk=case_id)
    development.development_extend_probation(case=case, acting_user=request.user, **payload.model_dump())
    return _case_out(request, case_id)


@development_router.post("/cases/{case_id}/stop", response=CaseOut)
def case_stop(request: HttpRequest, case_id: int, payload: ReasonIn) -> CaseOut:
    case = get_or_404(cases_visible_to(request.user), pk=case_id)
    development.development_stop(case=case, reason=payload.reason, acting_user=request.user)
    return _case_out(request, case_id)
