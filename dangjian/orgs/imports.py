"""HR import of employees and members (.xlsx / .csv): check every row, then write all or nothing.

Two passes over the file so memory stays flat in the row count: the first validates every row and keeps
only what duplicate detection needs; the second re-reads the file and writes in chunks, inside one
transaction. Re-import is idempotent, keyed by employee number: only changed fields are written, and
each change is audited. Moving a member to another branch is a transfer, never an import.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import User
from dangjian.core import crypto
from dangjian.core.models import AuditEvent
from dangjian.core.requestcontext import client_ip, current_request
from dangjian.core.scoping import members_visible_to, orgs_visible_to
from dangjian.core.tabular import ImportRejected, RowError, open_upload, read_table, write_xlsx

from .forms import PHONE_RE, id_number_valid
from .models import Member, Membership, MemberStatus, Org, StatusChange
from .search import pinyin_forms

COLUMNS = {
    "工号": "employee_no",
    "员工编号": "employee_no",
    "employee number": "employee_no",
    "姓名": "name",
    "name": "name",
    "性别": "gender",
    "gender": "gender",
    "民族": "ethnicity",
    "ethnicity": "ethnicity",
    "出生日期": "birth_date",
    "birth date": "birth_date",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "id number": "id_number",
    "手机号": "phone",
    "手机号码": "phone",
    "phone": "phone",
    "学历": "education",
    "education": "education",
    "部门": "department",
    "department": "department",
    "岗位": "job_title",
    "职务": "job_title",
    "post": "job_title",
    "入职日期": "hire_date",
    "hire date": "hire_date",
    "所在党组织": "org",
    "党组织": "org",
    "所在支部": "org",
    "branch": "org",
    "政治面貌": "status",
    "status": "status",
    "入党申请日期": "application_date",
    "application date": "application_date",
    "确定积极分子日期": "activist_date",
    "activist date": "activist_date",
    "确定发展对象日期": "candidate_date",
    "candidate date": "candidate_date",
    "入党日期": "probationary_date",
    "admission date": "probationary_date",
    "转正日期": "full_date",
    "full membership date": "full_date",
}
TEMPLATE_HEADERS = [
    "工号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "手机号",
    "学历",
    "部门",
    "岗位",
    "入职日期",
    "所在党组织",
    "政治面貌",
    "入党申请日期",
    "确定积极分子日期",
    "确定发展对象日期",
    "入党日期",
    "转正日期",
]
EMPLOYEE = "employee"  # 群众: a staff account, no member record
STATUS_WORDS = (
    {
        "中共党员": MemberStatus.FULL,
        "正式党员": MemberStatus.FULL,
        "党员": MemberStatus.FULL,
        "中共预备党员": MemberStatus.PROBATIONARY,
        "预备党员": MemberStatus.PROBATIONARY,
        "发展对象": MemberStatus.CANDIDATE,
        "入党积极分子": MemberStatus.ACTIVIST,
        "积极分子": MemberStatus.ACTIVIST,
        "入党申请人": MemberStatus.APPLICANT,
        "群众": EMPLOYEE,
    }
    | {s: s for s in MemberStatus.values}
    | {EMPLOYEE: EMPLOYEE}
)
GENDER_WORDS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
EDUCATION_WORDS = {
    "小学": "primary",
    "初中": "junior",
    "高中": "senior",
    "中专": "senior",
    "高中/中专": "senior",
    "大专": "college",
    "本科": "bachelor",
    "大学本科": "bachelor",
    "硕士": "master",
    "研究生": "master",
    "博士": "doctor",
} | {e: e for e in Member.Education.values}
DATE_FIELDS = [
    "birth_date",
    "hire_date",
    "application_date",
    "activist_date",
    "candidate_date",
    "probationary_date",
    "full_date",
]
KEY_DATES = ["application_date", "activist_date", "candidate_date", "probationary_date", "full_date"]
MEMBER_FIELDS = [
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "department",
    "job_title",
    "hire_date",
    "status",
    *KEY_DATES,
]
SENSITIVE = {"id_number", "phone"}
CHUNK = 2000


def template_xlsx() -> bytes:
    example = [
        [
            "E000101",
            "张三",
            "男",
            "汉族",
            "1988-05-12",
            "11010519491231002X",
            "13812345678",
            "本科",
            "财务部",
            "会计",
            "2012-07-01",
            "第一党支部",
            "中共党员",
            "2009-03-01",
            "2009-09-01",
            "2010-09-01",
            "2011-06-30",
            "2012-07-01",
        ],
        [
            "E000102",
            "李梅",
            "女",
            "汉族",
            "1995-10-03",
            "",
            "13900001111",
            "硕士",
            "人力资源部",
            "专员",
            "2020-07-01",
            "",
            "群众",
        ],
    ]
    return write_xlsx(TEMPLATE_HEADERS, example, title="人员导入")


def _date(value: Any) -> dt.date | str | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = (
        str(value).strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").replace("日", "")
    )
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    return "bad"


@dataclass
class CleanRow:
    row: int
    employee_no: str
    values: dict[str, Any]
    org_key: str


@dataclass
class ImportPlan:
    """What the first pass found: errors, or counts and the org resolution for the second pass."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    orgs: dict[str, Org] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)


def _clean(row: int, data: dict[str, Any], errors: list[RowError]) -> CleanRow | None:
    emp = str(data.get("employee_no") or "").strip()
    err = lambda f, m: errors.append(RowError(row, f, m))  # noqa: E731
    if not emp:
        err("employee_no", _("Employee number is empty."))
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 64:
        err("name", _("Name is empty or too long."))
    status = STATUS_WORDS.get(str(data.get("status") or "").strip())
    if status is None:
        err("status", _("Unknown political status “%(s)s”.") % {"s": data.get("status")})
    values: dict[str, Any] = {"name": name, "status": status}
    for f in DATE_FIELDS:
        d = _date(data.get(f))
        if d == "bad":
            err(f, _("Not a date (use 2024-05-01)."))
            d = None
        values[f] = d
    today = timezone.localdate()
    if values["birth_date"] and not dt.date(1900, 1, 1) <= values["birth_date"] <= today:
        err("birth_date", _("Not a plausible birth date."))
    gender = GENDER_WORDS.get(str(data.get("gender") or "").strip().lower())
    values["gender"] = gender
    idn = crypto.normalise(str(data.get("id_number") or ""))
    if idn and not id_number_valid(idn):
        err("id_number", _("Not a valid 18-digit ID number (check digit)."))
    values["id_number"] = idn
    phone = crypto.normalise(str(data.get("phone") or ""))
    if phone and not PHONE_RE.match(phone):
        err("phone", _("Enter an 11-digit mobile number."))
    values["phone"] = phone
    edu = str(data.get("education") or "").strip()
    values["education"] = EDUCATION_WORDS.get(edu, "")
    if edu and not values["education"]:
        err("education", _("Unknown education “%(e)s”.") % {"e": edu})
    for f, limit in (("ethnicity", 16), ("department", 64), ("job_title", 64)):
        text = str(data.get(f) or "").strip()
        if len(text) > limit:
            err(f, _("Too long."))
        values[f] = text
    values["ethnicity"] = values["ethnicity"] or "汉族"
    org_key = str(data.get("org") or "").strip()
    if status not in (None, EMPLOYEE):
        if not gender:
            err("gender", _("Gender must be 男 or 女."))
        if not values["birth_date"]:
            err("birth_date", _("Birth date is required for Party members and applicants."))
        if not org_key:
            err("org", _("The Party organisation is required."))
        dates = [(f, values[f]) for f in KEY_DATES if values[f]]
        for (f1, d1), (f2, d2) in itertools.pairwise(dates):
            if d2 < d1:
                err(f2, _("%(a)s is before %(b)s.") % {"a": f2, "b": f1})
        if (
            values["birth_date"]
            and values["application_date"]
            and values["application_date"] < _add_years(values["birth_date"], 18)
        ):
            err("application_date", _("Applicants must be at least 18."))
    return CleanRow(row, emp, values, org_key) if emp else None


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _resolve_orgs(keys: set[str], user: Any) -> tuple[dict[str, Org], dict[str, str]]:
    """Org names (or 'A/B/C' paths of names) → orgs the importer manages; ambiguous or unknown names are errors."""
    visible = orgs_visible_to(user, "members.manage").exclude(kind=Org.Kind.COMMITTEE)
    last_names = {k.split("/")[-1].strip() for k in keys}
    candidates: dict[str, list[Org]] = {}
    for org in visible.filter(name__in=last_names):
        candidates.setdefault(org.name, []).append(org)
    paths_needed = {o.path[: Org.steplen * d] for lst in candidates.values() for o in lst for d in range(1, o.depth)}
    names_by_path = dict(Org.objects.filter(path__in=paths_needed).values_list("path", "name"))
    found: dict[str, Org] = {}
    problems: dict[str, str] = {}
    for key in keys:
        parts = [p.strip() for p in key.split("/") if p.strip()]
        matches = [
            o
            for o in candidates.get(parts[-1] if parts else "", [])
            if all(p in [names_by_path.get(o.path[: Org.steplen * d]) for d in range(1, o.depth)] for p in parts[:-1])
        ]
        if len(matches) == 1:
            found[key] = matches[0]
        elif not matches:
            problems[key] = _("No organisation “%(o)s” that you manage.") % {"o": key}
        else:
            problems[key] = _("“%(o)s” is ambiguous: write it with its parent, like 甲公司党委/%(o)s.") % {"o": key}
    return found, problems


def _rows(kind: str, stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    stream.seek(0)
    return read_table(kind, stream, COLUMNS, required=["employee_no", "name", "status"])


def import_check(
    *, upload: Any, acting_user: Any, progress: Callable[[int], None] | None = None
) -> tuple[ImportPlan, str, IO[bytes]]:
    """First pass: every row checked; nothing written. Raises ImportRejected with every bad row."""
    kind, stream = open_upload(upload)
    plan = ImportPlan()
    seen_emp: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    org_keys: set[str] = set()
    for row, data in _rows(kind, stream):
        plan.rows += 1
        clean = _clean(row, data, plan.errors)
        if clean is None:
            continue
        if clean.employee_no in seen_emp:
            plan.errors.append(
                RowError(row, "employee_no", _("Also on row %(r)d.") % {"r": seen_emp[clean.employee_no]})
            )
        seen_emp.setdefault(clean.employee_no, row)
        idn = clean.values["id_number"]
        if idn:
            index = crypto.blind_index(idn)
            if index in seen_id:
                plan.errors.append(
                    RowError(row, "id_number", _("The same ID number is on row %(r)d.") % {"r": seen_id[index]})
                )
            seen_id.setdefault(index, row)
        if clean.org_key:
            org_keys.add(clean.org_key)
        if progress and plan.rows % CHUNK == 0:
            progress(plan.rows)
    plan.orgs, problems = _resolve_orgs(org_keys, acting_user)
    batch: list[CleanRow] = []
    for row, data in _rows(kind, stream):  # second look, now that the orgs are known: existing records
        clean = _clean(row, data, [])
        if clean is None:
            continue
        if clean.org_key in problems and clean.values["status"] not in (None, EMPLOYEE):
            plan.errors.append(RowError(row, "org", problems[clean.org_key]))
        batch.append(clean)
        if len(batch) >= CHUNK:
            _check_existing(batch, plan, acting_user)
            batch = []
    _check_existing(batch, plan, acting_user)
    if plan.rows == 0:
        plan.errors.append(RowError(1, "file", _("The file has a header but no rows.")))
    if plan.errors:
        raise ImportRejected(sorted(plan.errors, key=lambda e: (e.row, e.field)))
    return plan, kind, stream


def _check_existing(batch: list[CleanRow], plan: ImportPlan, user: Any) -> None:
    """Rows whose employee number exists outside the importer's scope, whose ID number belongs to someone
    else, or that would move a member; and the preview counts (created / updated / unchanged)."""
    if not batch:
        return
    emps = [c.employee_no for c in batch]
    existing = {m.employee_no: m for m in Member.objects.filter(employee_no__in=emps)}
    in_scope = set(
        members_visible_to(user, "members.manage")
        .filter(employee_no__in=list(existing))
        .values_list("employee_no", flat=True)
    )
    users = {u.employee_no: u for u in User.objects.filter(employee_no__in=emps).only("employee_no", "name", "phone")}
    id_owner = dict(
        Member.objects.filter(
            id_number_index__in=[crypto.blind_index(c.values["id_number"]) for c in batch if c.values["id_number"]]
        ).values_list("id_number_index", "employee_no")
    )
    for c in batch:
        member = existing.get(c.employee_no)
        if member is not None and c.employee_no not in in_scope:
            plan.errors.append(
                RowError(
                    c.row, "employee_no", _("This employee number belongs to a member outside your organisations.")
                )
            )
            continue
        idn = c.values["id_number"]
        owner = id_owner.get(crypto.blind_index(idn)) if idn else None
        if owner and owner != c.employee_no:
            plan.errors.append(
                RowError(c.row, "id_number", _("This ID number belongs to another member (%(e)s).") % {"e": owner})
            )
        if c.values["status"] == EMPLOYEE:
            u = users.get(c.employee_no)
            changed = u is not None and any(c.values[f] and getattr(u, f) != c.values[f] for f in ("name", "phone"))
            _count(plan, c, "created" if u is None else "updated" if changed else "unchanged", {})
            continue
        if member is None:
            _count(plan, c, "created", {})
            continue
        org = plan.orgs.get(c.org_key)
        if org is not None and org.pk != member.org_id:
            plan.errors.append(
                RowError(c.row, "org", _("Moving a member to another branch is a transfer, not an import."))
            )
        diff = {
            f: c.values[f] for f in MEMBER_FIELDS if c.values[f] not in (None, "") and getattr(member, f) != c.values[f]
        }
        _count(plan, c, "updated" if diff else "unchanged", diff)


def _count(plan: ImportPlan, c: CleanRow, outcome: str, diff: dict[str, Any]) -> None:
    setattr(plan, outcome, getattr(plan, outcome) + 1)
    if outcome != "unchanged" and len(plan.sample) < 20:
        shown = {
            f: ("***" if f in SENSITIVE else _json(v)) for f, v in (diff or c.values).items() if v not in (None, "")
        }
        plan.sample.append(
            {"row": c.row, "employee_no": c.employee_no, "name": c.values["name"], "outcome": outcome, "fields": shown}
        )


def import_commit(
    *, plan: ImportPlan, kind: str, stream: IO[bytes], acting_user: Any, filename: str = ""
) -> dict[str, int]:
    """Second pass: write every row in one transaction (the file was fully checked by import_check)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    request = current_request.get()
    ip = client_ip(request) if request else None
    actor = acting_user if getattr(acting_user, "is_authenticated", False) else None
    with transaction.atomic():
        batch: list[CleanRow] = []
        for row, data in _rows(kind, stream):
            clean = _clean(row, data, [])
            if clean is not None:
                batch.append(clean)
            if len(batch) >= CHUNK:
                _write(batch, plan, actor, ip, counts)
                batch = []
        _write(batch, plan, actor, ip, counts)
        AuditEvent.objects.create(
            actor=actor,
            actor_name=actor.get_username() if actor else "",
            action="member.import",
            ip=ip,
            target_repr=filename[:200],
            after=counts,
        )
    return counts


def _write(batch: list[CleanRow], plan: ImportPlan, actor: Any, ip: str | None, counts: dict[str, int]) -> None:
    if not batch:
        return
    today = timezone.localdate()
    emps = [c.employee_no for c in batch]
    members = {m.employee_no: m for m in Member.objects.filter(employee_no__in=emps).select_related("org")}
    users = {u.employee_no: u for u in User.objects.filter(employee_no__in=emps)}
    taken = set(User.objects.filter(username__in=emps).values_list("username", flat=True))
    new_users: list[User] = []
    new_members: list[Member] = []
    changed: list[tuple[Member, list[str]]] = []
    events: list[AuditEvent] = []
    status_rows: list[StatusChange] = []
    changed_users: list[User] = []
    links: list[Member] = []
    for c in batch:
        v = c.values
        user = users.get(c.employee_no)
        if user is not None and v["status"] == EMPLOYEE:
            user_diff = {f: v[f] for f in ("name", "phone") if v[f] and getattr(user, f) != v[f]}
            for f, value in user_diff.items():
                setattr(user, f, value)
            if user_diff:
                user.phone_index = crypto.blind_index(user.phone) if user.phone else ""
                changed_users.append(user)
            counts["updated" if user_diff else "unchanged"] += 1
            continue
        if user is None:
            user = User(
                username=c.employee_no if c.employee_no not in taken else f"u{c.employee_no}",
                employee_no=c.employee_no,
                name=v["name"],
                phone=v["phone"],
                id_number=v["id_number"],
                must_change_password=True,
                password=make_password(None),
            )
            user.phone_index = crypto.blind_index(user.phone) if user.phone else ""
            user.id_number_index = crypto.blind_index(user.id_number) if user.id_number else ""
            new_users.append(user)
            users[c.employee_no] = user
        if v["status"] == EMPLOYEE:
            counts["created"] += 1
            continue
        member = members.get(c.employee_no)
        org = plan.orgs[c.org_key]
        if member is None:
            m = Member(
                org=org,
                org_path=org.path,
                employee_no=c.employee_no,
                **{f: v[f] for f in MEMBER_FIELDS if v[f] is not None},
            )
            m.name_pinyin, m.name_initials = pinyin_forms(m.name)
            m.id_number_index = crypto.blind_index(m.id_number) if m.id_number else ""
            m.phone_index = crypto.blind_index(m.phone) if m.phone else ""
            new_members.append(m)
            continue
        diff = {f: v[f] for f in MEMBER_FIELDS if v[f] not in (None, "") and getattr(member, f) != v[f]}
        if member.user_id is None:
            member.user = user  # linked once the new accounts are saved
            links.append(member)
        if not diff:
            counts["unchanged"] += 1
            continue
        before = {f: ("(set)" if f in SENSITIVE else _json(getattr(member, f))) for f in diff}
        if "status" in diff:
            status_rows.append(
                StatusChange(
                    member=member,
                    from_status=member.status,
                    to_status=diff["status"],
                    effective_on=today,
                    reason="HR import",
                    recorded_by=actor,
                )
            )
        for f, value in diff.items():
            setattr(member, f, value)
        member.name_pinyin, member.name_initials = pinyin_forms(member.name)
        member.id_number_index = crypto.blind_index(member.id_number) if member.id_number else ""
        member.phone_index = crypto.blind_index(member.phone) if member.phone else ""
        changed.append((member, list(diff)))
        events.append(
            AuditEvent(
                actor=actor,
                actor_name=actor.get_username() if actor else "",
                action="member.update",
                ip=ip,
                target_type="orgs.member",
                target_id=str(member.pk),
                target_repr=member.name,
                org_path=member.org_path,
                before=before,
                after={f: ("(changed)" if f in SENSITIVE else _json(val)) for f, val in diff.items()},
            )
        )
    User.objects.bulk_create(new_users, batch_size=CHUNK)
    if changed_users:
        User.objects.bulk_update(changed_users, ["name", "phone", "phone_index"], batch_size=CHUNK)
    for m in links:
        m.user_id = m.user.pk if m.user is not None else None
    if links:
        Member.objects.bulk_update(links, ["user"], batch_size=CHUNK)
    for m in new_members:
        u = users.get(m.employee_no)
        m.user_id = u.pk if u is not None else None
    Member.objects.bulk_create(new_members, batch_size=CHUNK)
    Membership.objects.bulk_create(
        [Membership(member=m, org_id=m.org_id, kind=Membership.Kind.PRIMARY, started_on=today) for m in new_members]
    )
    StatusChange.objects.bulk_create(
        [
            StatusChange(member=m, to_status=m.status, effective_on=today, reason="HR import", recorded_by=actor)
            for m in new_members
        ]
        + status_rows
    )
    fields = sorted(
        {f for _m, fs in changed for f in fs} | {"name_pinyin", "name_initials", "id_number_index", "phone_index"}
    )
    if changed:
        Member.objects.bulk_update([m for m, _fs in changed], fields, batch_size=CHUNK)
    events += [
        AuditEvent(
            actor=actor,
            actor_name=actor.get_username() if actor else "",
            action="member.create",
            ip=ip,
            target_type="orgs.member",
            target_id=str(m.pk),
            target_repr=m.name,
            org_path=m.org_path,
            after={"status": m.status, "source": "import"},
        )
        for m in new_members
    ]
    AuditEvent.objects.bulk_create(events, batch_size=CHUNK)
    counts["created"] += len(new_members)
    counts["updated"] += len(changed)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def members_import(*, upload: Any, acting_user: Any) -> dict[str, int]:
    """Check and write in one call (the API): every bad row reported and nothing written, or the counts."""
    plan, kind, stream = import_check(upload=upload, acting_user=acting_user)
    return import_commit(
        plan=plan, kind=kind, stream=stream, acting_user=acting_user, filename=getattr(upload, "name", "")
    )
