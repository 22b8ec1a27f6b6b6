"""API: the org tree and member records (list with q/org/status and paging, detail, create, update)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from dangjian.core import crypto
from dangjian.core.errors import DomainError
from dangjian.core.scoping import get_or_404, members_visible_to, orgs_visible_to

from . import selectors, services
from .forms import PHONE_RE, id_number_valid
from .models import Member, MemberStatus, Org

orgs_router = Router(tags=["orgs"])
members_router = Router(tags=["orgs"])

MAX_PAGE_SIZE = 200


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None = None
    depth: int
    path: str
    unit: str
    is_cloud: bool
    is_temporary: bool
    ends_on: dt.date | None
    founded_on: dt.date | None
    term_start: dt.date | None
    term_end: dt.date | None
    member_count: int | None = None


class OrgWarningOut(Schema):
    code: str
    message: str
    level: str


class OrgDetailOut(OrgOut):
    warnings: list[OrgWarningOut]


def _org_out(o: Org, parent_ids: dict[str, int]) -> OrgOut:
    return OrgOut(
        id=o.pk,
        name=o.name,
        kind=o.kind,
        depth=o.depth,
        path=o.path,
        unit=o.unit,
        is_cloud=o.is_cloud,
        is_temporary=o.is_temporary,
        ends_on=o.ends_on,
        founded_on=o.founded_on,
        term_start=o.term_start,
        term_end=o.term_end,
        parent_id=parent_ids.get(o.path[: -Org.steplen]) if o.depth > 1 else None,
        member_count=getattr(o, "member_count", None),
    )


@orgs_router.get("/tree", response=list[OrgOut])
def org_tree(
    request: HttpRequest, root: int | None = None, depth: int | None = Query(None, ge=1, le=10)
) -> list[OrgOut]:  # type: ignore[type-arg]
    """The visible org tree in path order (each row names its parent)."""
    root_org = get_or_404(orgs_visible_to(request.user), pk=root) if root else None
    max_depth = (root_org.depth if root_org else 0) + depth if depth else None
    rows = selectors.org_tree_rows(request.user, root=root_org, max_depth=max_depth)
    parent_ids = {o.path: o.pk for o in rows}
    missing = {o.path[: -Org.steplen] for o in rows if o.depth > 1} - parent_ids.keys()
    if missing:
        parent_ids.update(dict(Org.objects.filter(path__in=missing).values_list("path", "pk")))
    return [_org_out(o, parent_ids) for o in rows]


@orgs_router.get("/{org_id}", response=OrgDetailOut)
def org_detail(request: HttpRequest, org_id: int) -> OrgDetailOut:
    org = get_or_404(orgs_visible_to(request.user), pk=org_id)
    parent = org.get_parent()
    out = _org_out(org, {parent.path: parent.pk} if parent else {})
    warnings = [
        OrgWarningOut(code=w.code, message=w.message, level=w.level)
        for w in selectors.branch_warnings(Org.objects.filter(pk=org.pk))
    ]
    return OrgDetailOut(**out.model_dump(), warnings=warnings)


class MemberListItem(Schema):
    id: int
    name: str
    gender: str
    status: str
    org_id: int
    org_name: str
    employee_no: str | None
    department: str
    job_title: str
    birth_date: dt.date
    is_mobile: bool


class MemberListOut(Schema):
    items: list[MemberListItem]
    count: int


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    ethnicity: str
    birth_date: dt.date
    id_number: str = Field(description="Masked unless ?reveal=true and the caller may see it (audited)")
    phone: str
    address: str
    education: str
    employee_no: str | None
    department: str
    job_title: str
    hire_date: dt.date | None
    status: str
    org_id: int
    org_name: str
    application_date: dt.date | None
    activist_date: dt.date | None
    candidate_date: dt.date | None
    probationary_date: dt.date | None
    full_date: dt.date | None
    is_mobile: bool
    out_of_contact_since: dt.date | None


class MemberWrite(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    gender: Member.Gender | None = None
    ethnicity: str | None = Field(default=None, max_length=16)
    birth_date: dt.date | None = None
    id_number: str | None = Field(default=None, max_length=18)
    phone: str | None = Field(default=None, max_length=11)
    address: str | None = Field(default=None, max_length=200)
    education: Member.Education | None = None
    employee_no: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, max_length=64)
    job_title: str | None = Field(default=None, max_length=64)
    hire_date: dt.date | None = None
    application_date: dt.date | None = None
    activist_date: dt.date | None = None
    candidate_date: dt.date | None = None
    probationary_date: dt.date | None = None
    full_date: dt.date | None = None

    @field_validator("*")
    @classmethod
    def _no_nul(cls, v: Any) -> Any:
        if isinstance(v, str) and "\x00" in v:
            raise PydanticCustomError("null_character", _("Null characters are not allowed."))
        return v

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v:
            v = v.strip().upper()
            if not id_number_valid(v):
                raise PydanticCustomError("id_number", _("Not a valid 18-digit ID number."))
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v and not PHONE_RE.match(v.strip()):
            raise PydanticCustomError("phone", _("Enter an 11-digit mobile number."))
        return v.strip() if v else v

    @field_validator("birth_date")
    @classmethod
    def _birth(cls, v: dt.date | None) -> dt.date | None:
        if v and v > timezone.localdate():
            raise PydanticCustomError("future_date", _("The birth date cannot be in the future."))
        return v


class MemberCreate(MemberWrite):
    name: str = Field(min_length=1, max_length=64)
    gender: Member.Gender
    birth_date: dt.date
    org_id: int
    status: MemberStatus


def _member_out(m: Member, reveal: bool) -> MemberOut:
    def sens(field: str, kind: str) -> str:
        value = getattr(m, field) or ""
        return value if reveal else crypto.mask(value, kind)

    return MemberOut(
        id=m.pk,
        name=m.name,
        gender=m.gender,
        ethnicity=m.ethnicity,
        birth_date=m.birth_date,
        id_number=sens("id_number", "id_number"),
        phone=sens("phone", "phone"),
        address=sens("address", "address"),
        education=m.education,
        employee_no=m.employee_no,
        department=m.department,
        job_title=m.job_title,
        hire_date=m.hire_date,
        status=m.status,
        org_id=m.org_id,
        org_name=m.org.name,
        application_date=m.application_date,
        activist_date=m.activist_date,
        candidate_date=m.candidate_date,
        probationary_date=m.probationary_date,
        full_date=m.full_date,
        is_mobile=m.is_mobile,
        out_of_contact_since=m.out_of_contact_since,
    )


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int = 0


@members_router.post("/import", response=ImportOut)
def member_import(request: HttpRequest, file: UploadedFile = File(...)) -> dict[str, int]:  # noqa: B008
    """Import employees and members from .xlsx or .csv (template: GET /members/import/template).

    All or nothing: a file with one bad row writes nothing and answers 400 listing every bad row as
    ``{"row", "field", "message"}``. Re-importing is idempotent, keyed by employee number.
    """
    from .imports import members_import

    if not orgs_visible_to(request.user, "members.manage").exists():
        raise Http404
    return members_import(upload=file, acting_user=request.user)


@members_router.get("/import/template", response={200: None})
def member_import_template(request: HttpRequest) -> HttpResponse:
    from dangjian.core.tabular import XLSX_CONTENT_TYPE

    from .imports import template_xlsx

    response = HttpResponse(template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="member-import-template.xlsx"'
    return response


@members_router.get("", response=MemberListOut)
def member_list(
    request: HttpRequest,
    q: str = Query("", max_length=64),  # type: ignore[type-arg]
    org: int | None = None,
    status: MemberStatus | None = None,
    gender: Member.Gender | None = None,
    age: Literal["35-", "36-45", "46-55", "56-60", "61+"] | None = None,
    education: Member.Education | None = None,
    join_year: int | None = Query(None, ge=1921, le=2100),  # type: ignore[type-arg]
    page: int = Query(1, ge=1),  # type: ignore[type-arg]
    page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE),  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Members in the caller's scope; ``q`` matches name, pinyin, pinyin initials and employee number;
    filters: org subtree, status, gender, age band, education, year of joining the Party."""
    org_obj = get_or_404(orgs_visible_to(request.user), pk=org) if org is not None else None
    qs = selectors.member_list(
        request.user,
        q=q,
        org=org_obj,
        status=status or "",
        gender=gender or "",
        age=age or "",
        education=education or "",
        join_year=join_year,
    )
    start = (page - 1) * page_size
    rows = list(qs[start : start + page_size])
    items = [
        MemberListItem(
            id=m.pk,
            name=m.name,
            gender=m.gender,
            status=m.status,
            org_id=m.org_id,
            org_name=m.org.name,
            employee_no=m.employee_no,
            department=m.department,
            job_title=m.job_title,
            birth_date=m.birth_date,
            is_mobile=m.is_mobile,
        )
        for m in rows
    ]
    return {"items": items, "count": qs.count()}


@members_router.get("/{member_id}", response=MemberOut)
def member_detail(request: HttpRequest, member_id: int, reveal: bool = False) -> MemberOut:
    member = get_or_404(members_visible_to(request.user).select_related("org"), pk=member_id)
    if reveal:
        for field in services.SENSITIVE_FIELDS:
            services.member_reveal(member=member, field=field, acting_user=request.user)
    return _member_out(member, reveal)


@members_router.post("", response={201: MemberOut})
def member_create(request: HttpRequest, payload: MemberCreate) -> Status[MemberOut]:
    org = get_or_404(orgs_visible_to(request.user, "members.manage"), pk=payload.org_id)
    data = payload.model_dump(exclude={"org_id", "status"}, exclude_none=True)
    try:
        member = services.member_create(org=org, status=payload.status, acting_user=request.user, **data)
    except DomainError as exc:
        # The service names the branch "org"; this payload calls it "org_id".
        exc.errors = [{**e, "field": "org_id"} if e.get("field") == "org" else e for e in exc.errors]
        raise
    return Status(201, _member_out(Member.objects.select_related("org").get(pk=member.pk), reveal=False))


@members_router.patch("/{member_id}", response=MemberOut)
def member_update(request: HttpRequest, member_id: int, payload: MemberWrite) -> MemberOut:
    member = get_or_404(members_visible_to(request.user, "members.manage").select_related("org"), pk=member_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in changes.items() if v is None and k in {"name", "gender", "birth_date"}]
    if nulls:
        raise DomainError(
            _("These fields cannot be empty: %(f)s") % {"f": ", ".join(nulls)},
            [{"field": k, "message": _("Required")} for k in nulls],
        )
    changes = {
        k: ("" if v is None and k not in {"employee_no"} and not k.endswith("date") else v) for k, v in changes.items()
    }
    member = services.member_update(member=member, acting_user=request.user, **changes)
    return _member_out(member, reveal=False)
