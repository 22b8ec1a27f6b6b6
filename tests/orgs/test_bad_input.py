"""Bad input: a clear 4xx naming the fields and nothing written; odd input never answers 500."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member, Org

from ..conftest import login
from ..factories import make_member
from .conftest import assert_api_error, bad_check_digit, valid_id

TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def _web_create(cast, **overrides):
    data = {
        "org": cast.branch_a.pk,
        "status": "applicant",
        "name": "新同志",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": "1998-08-08",
        "employee_no": "N0001",
        "id_number": valid_id("19980808"),
        "phone": "13700001234",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_valid_web_create_works(client, cast):
    login(client, cast.secretary_a)
    response = client.post(reverse("orgs:member_create"), _web_create(cast))
    assert response.status_code == 302
    assert Member.objects.filter(name="新同志", org=cast.branch_a).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": bad_check_digit(valid_id())}, "id_number"),
        ({"id_number": "12345"}, "id_number"),
        ({"phone": "1380000"}, "phone"),
        ({"phone": "23812345678"}, "phone"),
        ({"birth_date": TOMORROW}, "birth_date"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"name": None}, "name"),
        ({"gender": None}, "gender"),
        ({"status": "emperor"}, "status"),
        ({"employee_no": "E_DUP"}, "employee_no"),
        ({"id_number": "11010519491231002X"}, "id_number"),  # member_a's
        ({"id_number": "11010519491231002x"}, "id_number"),  # the same, lower case
        ({"address": "长" * 201}, "address"),
        ({"name": "张\x00三"}, "name"),
    ],
)
def test_a_bad_web_create_re_renders_with_400_and_writes_nothing(client, cast, overrides, field):
    make_member(cast.branch_b, employee_no="E_DUP")
    count, events = Member.objects.count(), AuditEvent.objects.count()
    login(client, cast.committee)
    response = client.post(reverse("orgs:member_create"), _web_create(cast, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert Member.objects.count() == count and AuditEvent.objects.count() == events


def test_a_member_cannot_be_created_directly_in_a_committee(client, cast):
    login(client, cast.committee)
    response = client.post(reverse("orgs:member_create"), _web_create(cast, org=cast.company_a.pk))
    assert response.status_code == 400
    assert "org" in response.context["form"].errors
    assert not Member.objects.filter(name="新同志").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"id_number": bad_check_digit("11010519491231002X")}, "id_number"),
        ({"birth_date": TOMORROW}, "birth_date"),
        ({"name": ""}, "name"),
        ({"employee_no": "E_DUP"}, "employee_no"),
    ],
)
def test_a_bad_web_edit_re_renders_with_400_and_changes_nothing(client, cast, overrides, field):
    make_member(cast.branch_b, employee_no="E_DUP")
    before = Member.objects.filter(pk=cast.member_a.pk).values().get()
    login(client, cast.secretary_a)
    data = {
        "name": "张三",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-01-01",
        "department": "新部门",
        "employee_no": cast.member_a.employee_no,
    }
    data.update(overrides)
    response = client.post(reverse("orgs:member_edit", args=[cast.member_a.pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    body = response.content.decode()
    assert "11010519491231002X" not in body and "13812345678" not in body
    after = Member.objects.filter(pk=cast.member_a.pk).values().get()
    assert {k: v for k, v in after.items() if k not in {"id_number", "phone", "address"}} == {
        k: v for k, v in before.items() if k not in {"id_number", "phone", "address"}
    }


def test_a_duplicate_id_number_on_edit_is_refused(client, cast):
    login(client, cast.committee)
    data = {
        "name": "李四",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-01-01",
        "id_number": "11010519491231002X",
        "employee_no": cast.member_b.employee_no,
    }
    response = client.post(reverse("orgs:member_edit", args=[cast.member_b.pk]), data)
    assert response.status_code == 400
    assert "id_number" in response.context["form"].errors
    assert Member.objects.get(pk=cast.member_b.pk).id_number == ""


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "is_temporary": "on"},  # name required, temporary needs an end date
        {"name": "支部", "is_temporary": "on"},
        {"name": "支部", "term_start": "2025-01-01", "term_end": "2024-01-01"},
        {"name": "支部", "founded_on": "3000-01-01"},
        {"name": "支部", "founded_on": "yesterday"},
    ],
)
def test_a_bad_org_edit_re_renders_with_400(client, cast, data):
    login(client, cast.committee)
    response = client.post(reverse("orgs:org_edit", args=[cast.branch_a.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    org = Org.objects.get(pk=cast.branch_a.pk)
    assert (org.name, org.is_temporary) == ("甲公司第一党支部", False)


def test_the_org_kind_cannot_be_changed_by_the_form(client, cast):
    login(client, cast.committee)
    response = client.post(
        reverse("orgs:org_edit", args=[cast.branch_a.pk]), {"name": "甲公司第一党支部", "kind": "committee"}
    )
    assert response.status_code == 302
    assert Org.objects.get(pk=cast.branch_a.pk).kind == Org.Kind.BRANCH


ODD_QUERIES = [
    {"q": "张" * 5000},
    {"q": "😀👍"},
    {"q": "%"},
    {"q": "_"},
    {"q": "' OR 1=1 --"},
    {"q": "\\"},
    {"q": "  "},
    {"q": "ｚｈａｎｇ"},
    {"q": "E000001"},
    {"q": "zhang san"},
    {"page": "abc"},
    {"page": "0"},
    {"page": "-1"},
    {"page": "99999999999999999999"},
    {"status": "emperor"},
    {"org": "abc"},
    {"org": "-1"},
    {"q": "\x00"},
]


@pytest.mark.parametrize("params", ODD_QUERIES)
def test_odd_list_queries_never_fail(client, cast, params):
    login(client, cast.committee)
    response = client.get(reverse("orgs:member_list"), params)
    assert response.status_code == 200


@pytest.mark.parametrize("org", ["99999999999999999999", "0", "999999"])
def test_an_unknown_org_in_the_list_filter_is_404(client, cast, org):
    login(client, cast.committee)
    assert client.get(reverse("orgs:member_list"), {"org": org}).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/members/99999999999999999999/",
        "/orgs/members/0/",
        "/orgs/members/abc/",
        "/orgs/members/１/",
        "/orgs/99999999999999999999/",
        "/orgs/abc/",
        "/orgs/members/99999999999999999999/edit/",
    ],
)
def test_odd_ids_on_the_web_are_404(client, cast, path):
    login(client, cast.committee)
    assert client.get(path).status_code == 404


# --- API ---------------------------------------------------------------------------------------


def _api_create(cast, **overrides):
    data = {
        "org_id": cast.branch_a.pk,
        "status": "applicant",
        "name": "新同志",
        "gender": "F",
        "birth_date": "1998-08-08",
        "employee_no": "N0001",
        "id_number": valid_id("19980808"),
        "phone": "13700001234",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": bad_check_digit(valid_id())}, "id_number"),
        ({"id_number": "1101051949123100"}, "id_number"),
        ({"phone": "1380000"}, "phone"),
        ({"phone": "138-1234-5678"}, "phone"),
        ({"birth_date": TOMORROW}, "birth_date"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"status": "emperor"}, "status"),
        ({"gender": "X"}, "gender"),
        ({"name": ...}, "name"),
        ({"name": ""}, "name"),
        ({"name": "名" * 65}, "name"),
        ({"birth_date": ...}, "birth_date"),
        ({"org_id": ...}, "org_id"),
        ({"org_id": "abc"}, "org_id"),
        ({"status": ...}, "status"),
        ({"employee_no": "E_DUP"}, "employee_no"),
        ({"id_number": "11010519491231002X"}, "id_number"),
        ({"address": "长" * 201}, "address"),
        ({"name": "张\x00三"}, "name"),
        ({"department": "\x00"}, "department"),
    ],
)
def test_a_bad_api_create_is_400_naming_the_field(cast, api_as, overrides, field):
    make_member(cast.branch_b, employee_no="E_DUP")
    count, events = Member.objects.count(), AuditEvent.objects.count()
    response = api_as(cast.committee).post("/members", _api_create(cast, **overrides))
    assert_api_error(response, 400, field)
    assert Member.objects.count() == count
    assert AuditEvent.objects.count() == events + 1  # only the token issue


def test_a_member_cannot_be_created_in_a_committee_by_api(cast, api_as):
    response = api_as(cast.committee).post("/members", _api_create(cast, org_id=cast.company_a.pk))
    assert_api_error(response, 400, "org_id")
    assert not Member.objects.filter(name="新同志").exists()


def test_a_malformed_json_body_is_400(cast, api_as):
    api = api_as(cast.committee)
    response = api.client.post("/api/v1/members", "{not json", content_type="application/json", headers=api.headers)
    assert_api_error(response, 400)
    response = api.client.post("/api/v1/members", "[]", content_type="application/json", headers=api.headers)
    assert_api_error(response, 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"gender": None}, "gender"),
        ({"birth_date": None}, "birth_date"),
        ({"birth_date": TOMORROW}, "birth_date"),
        ({"phone": "110"}, "phone"),
        ({"id_number": bad_check_digit("11010519491231002X")}, "id_number"),
        ({"employee_no": "E_DUP"}, "employee_no"),
        ({"education": "kindergarten"}, "education"),
        ({"address": "北京\x00"}, "address"),
    ],
)
def test_a_bad_api_patch_is_400_and_changes_nothing(cast, api_as, body, field):
    make_member(cast.branch_b, employee_no="E_DUP")
    before = Member.objects.filter(pk=cast.member_a.pk).values().get()
    response = api_as(cast.committee).patch(f"/members/{cast.member_a.pk}", body)
    assert_api_error(response, 400, field)
    after = Member.objects.filter(pk=cast.member_a.pk).values().get()
    assert after["updated_at"] == before["updated_at"] and after["name"] == before["name"]


def test_a_duplicate_id_number_by_api_patch_is_refused(cast, api_as):
    response = api_as(cast.committee).patch(f"/members/{cast.member_b.pk}", {"id_number": "11010519491231002X"})
    assert_api_error(response, 400, "id_number")
    assert Member.objects.get(pk=cast.member_b.pk).id_number == ""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 201}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "abc"}, "page"),
        ({"status": "emperor"}, "status"),
        ({"org": "abc"}, "org"),
        ({"q": "张" * 65}, "q"),
    ],
)
def test_bad_list_parameters_are_400(cast, api_as, params, field):
    assert_api_error(api_as(cast.committee).get("/members", params), 400, field)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "😀"},
        {"q": "%"},
        {"q": "_"},
        {"q": "' OR 1=1 --"},
        {"q": "\\"},
        {"q": "张" * 64},
        {"page": 1000, "page_size": 200},
        {"page_size": 200},
        {"q": "E"},
        {"q": "zhang san"},
        {"q": "\x00"},
        {"q": "张\x00三"},
    ],
)
def test_odd_list_parameters_answer_normally(cast, api_as, params):
    response = api_as(cast.committee).get("/members", params)
    assert response.status_code == 200
    assert set(response.json()) == {"items", "count"}


@pytest.mark.parametrize(
    "path",
    [
        "/members/99999999999999999999",
        "/members/0",
        "/members/-1",
        "/members/abc",
        "/orgs/99999999999999999999",
        "/orgs/abc",
        "/orgs/tree?root=99999999999999999999",
        "/orgs/tree?depth=0",
        "/members/1?reveal=maybe",
    ],
)
def test_odd_ids_in_the_api_are_4xx(cast, api_as, path):
    response = api_as(cast.committee).get(path)
    assert response.status_code in {400, 404}, response.content[:300]
    assert set(response.json()) == {"detail", "errors"}
