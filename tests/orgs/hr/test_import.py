"""HR import of employees and members: all or nothing, row-numbered errors, idempotent re-import, scope."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.accounts.models import User
from dangjian.accounts.services import api_token_issue
from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.core.tabular import write_xlsx
from dangjian.orgs.imports import TEMPLATE_HEADERS, members_import, template_xlsx
from dangjian.orgs.models import Member, StatusChange

HEAD = "工号,姓名,性别,民族,出生日期,身份证号,手机号,学历,部门,岗位,入职日期,所在党组织,政治面貌,入党申请日期,确定积极分子日期,确定发展对象日期,入党日期,转正日期"
GOOD = [
    "E100001,王小明,男,汉族,1990-03-15,110105199003150017,13911112222,本科,财务部,会计,2015-07-01,甲公司第一党支部,中共党员,2010-03-01,2010-09-01,2011-09-01,2012-06-30,2013-06-30",
    "E100002,赵丽,女,回族,1996/11/02,,13922223333,硕士,人力资源部,专员,2021-07-01,甲公司第一党支部,入党积极分子,2023-03-01,2023-09-01,,,",
    "E100003,钱进,男,汉族,1999-01-01,,,大专,生产部,操作工,2020-07-01,,群众,,,,,",
]


def csv(rows, name="roster.csv"):
    return SimpleUploadedFile(name, ("\n".join([HEAD, *rows]) + "\n").encode("utf-8"))


def test_import_creates_members_accounts_and_history(cast):
    result = members_import(upload=csv(GOOD), acting_user=cast.secretary_a)
    assert result == {"created": 3, "updated": 0, "unchanged": 0}
    wang = Member.objects.get(employee_no="E100001")
    assert (wang.org, wang.status, wang.full_date, wang.name_initials) == (
        cast.branch_a,
        "full",
        dt.date(2013, 6, 30),
        "wxm",
    )
    assert (
        wang.id_number == "110105199003150017"
        and wang.user.must_change_password
        and not wang.user.has_usable_password()
    )
    assert StatusChange.objects.filter(member=wang).count() == 1
    assert not Member.objects.filter(employee_no="E100003").exists()
    assert User.objects.get(employee_no="E100003").name == "钱进"


def test_reimport_is_idempotent_and_audits_only_changes(cast):
    members_import(upload=csv(GOOD), acting_user=cast.secretary_a)
    assert members_import(upload=csv(GOOD), acting_user=cast.secretary_a) == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    changed = [GOOD[0].replace("财务部,会计", "审计部,审计师"), *GOOD[1:]]
    before = AuditEvent.objects.filter(action="member.update").count()
    assert members_import(upload=csv(changed), acting_user=cast.secretary_a) == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
    }
    event = AuditEvent.objects.filter(action="member.update").exclude(pk__in=[]).order_by("-id").first()
    assert AuditEvent.objects.filter(action="member.update").count() == before + 1
    assert event.before == {"department": "财务部", "job_title": "会计"} and event.after == {
        "department": "审计部",
        "job_title": "审计师",
    }


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(cast):
    bad = [
        GOOD[0],
        "E100002,赵丽,女,回族,1996-11-02,110105199611020011,13922223333,本科,部门,岗位,2021-07-01,甲公司第一党支部,中共党员,,,,,",  # bad ID check digit
        "E100001,重复,男,汉族,1990-01-01,,,本科,,,,甲公司第一党支部,中共党员,,,,,",  # duplicate employee number
        "E100004,孙七,男,汉族,明天,,1391111,本科,,,,甲公司第一党支部,党员,,,,,",  # bad date, bad phone
        "E100005,周八,男,汉族,1990-01-01,,,本科,,,,乙公司第一党支部,中共党员,,,,,",  # another company's branch
        "E100006,吴九,男,汉族,1990-01-01,,,本科,,,,甲公司第一党支部,党棍,,,,,",  # unknown status
        "E100007,郑十,男,汉族,2010-01-01,,,本科,,,,甲公司第一党支部,入党申请人,2024-01-01,,,,",  # applicant under 18
        f"{cast.member_b.employee_no},李四,男,汉族,1985-01-01,,,本科,,,,甲公司第一党支部,中共党员,,,,,",  # someone else's member
    ]
    with pytest.raises(DomainError) as exc:
        members_import(upload=csv(bad), acting_user=cast.secretary_a)
    found = {(e["row"], e["field"]) for e in exc.value.errors}
    assert {
        (3, "id_number"),
        (4, "employee_no"),
        (5, "birth_date"),
        (5, "phone"),
        (6, "org"),
        (7, "status"),
        (8, "application_date"),
        (9, "employee_no"),
    } <= found
    assert (2, "name") not in found
    assert not Member.objects.filter(employee_no__startswith="E1000").exists()
    assert not User.objects.filter(employee_no__startswith="E1000").exists()


def test_moving_a_member_by_import_is_refused(cast):
    members_import(upload=csv(GOOD[:1]), acting_user=cast.committee)
    moved = GOOD[0].replace("甲公司第一党支部", "乙公司第一党支部")
    with pytest.raises(DomainError) as exc:
        members_import(upload=csv([moved]), acting_user=cast.committee)
    assert exc.value.errors[0]["field"] == "org"


@pytest.mark.parametrize(
    "content,name",
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "roster.xlsx"),
        (b"PK\x03\x04not really", "roster.xlsx"),
        ("姓名,部门\n张三,财务\n".encode(), "roster.csv"),
        (b"", "roster.csv"),
        ((HEAD + "\n").encode(), "roster.csv"),
    ],
)
def test_bad_files_are_refused(cast, content, name):
    with pytest.raises(DomainError) as exc:
        members_import(upload=SimpleUploadedFile(name, content), acting_user=cast.secretary_a)
    assert exc.value.message
    assert Member.objects.count() == 2


def test_a_50_mb_file_is_refused_before_reading(cast):
    big = SimpleUploadedFile("big.csv", b"x")
    big.size = 50 * 1024 * 1024
    with pytest.raises(DomainError) as exc:
        members_import(upload=big, acting_user=cast.secretary_a)
    assert "MB" in exc.value.message


def test_xlsx_and_template(cast):
    assert template_xlsx()[:2] == b"PK"
    rows = [r.split(",") for r in GOOD[:2]]
    content = write_xlsx(TEMPLATE_HEADERS, rows)
    assert members_import(upload=SimpleUploadedFile("r.xlsx", content), acting_user=cast.secretary_a)["created"] == 2


def test_api_import(client, cast):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=cast.secretary_a, name='t').plaintext}"}
    ok = client.post("/api/v1/members/import", {"file": csv(GOOD)}, **headers)
    assert ok.status_code == 200 and ok.json()["created"] == 3
    bad = client.post(
        "/api/v1/members/import", {"file": csv(["E9,x,男,汉族,1990-01-01,,,,,,,甲公司第一党支部,??,,,,,"])}, **headers
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"row": 2, "field": "status", "message": bad.json()["errors"][0]["message"]}]
    outsider = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=cast.member_a_user, name='t').plaintext}"}
    assert client.post("/api/v1/members/import", {"file": csv(GOOD)}, **outsider).status_code == 404
    assert client.post("/api/v1/members/import", {}, **headers).status_code == 400


def test_web_import_checks_previews_and_writes_on_confirmation(client, cast, settings, tmp_path):
    from dangjian.core.models import BackgroundJob

    from ...conftest import login

    settings.MEDIA_ROOT = tmp_path
    login(client, cast.secretary_a)
    response = client.post("/orgs/import/", {"file": csv(GOOD)})
    job = BackgroundJob.objects.get()
    assert response.status_code == 302 and job.state == "ready"
    assert job.result["created"] == 3 and not Member.objects.filter(employee_no="E100001").exists()  # preview only
    page = client.get(f"/orgs/import/{job.pk}/")
    assert "E100001" in page.content.decode()
    login(client, cast.secretary_b)
    assert client.post(f"/orgs/import/{job.pk}/confirm/").status_code == 404  # not their job
    login(client, cast.secretary_a)
    client.post(f"/orgs/import/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.state == "done" and job.result == {"created": 3, "updated": 0, "unchanged": 0}
    assert Member.objects.filter(employee_no="E100001").exists()


def test_web_import_lists_bad_rows(client, cast, settings, tmp_path):
    from dangjian.core.models import BackgroundJob

    from ...conftest import login

    settings.MEDIA_ROOT = tmp_path
    login(client, cast.secretary_a)
    client.post("/orgs/import/", {"file": csv(["E1,x,男,汉族,1990-01-01,,,,,,,甲公司第一党支部,??,,,,,"])})
    job = BackgroundJob.objects.get()
    assert job.state == "failed" and job.errors[0]["row"] == 2
    assert 'data-testid="row-errors"' in client.get(f"/orgs/import/{job.pk}/").content.decode()
    login(client, cast.member_a_user)
    assert client.get("/orgs/import/").status_code == 404
