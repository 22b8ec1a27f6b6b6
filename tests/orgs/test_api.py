"""The orgs API contract: token auth, member create/update/detail, list search and paging, tree, org detail."""

import pytest
from django.test import Client

from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member, Membership, MemberStatus, Org

from ..factories import PASSWORD, make_member, make_org
from .conftest import bulk_members, valid_id


def test_a_token_from_username_and_password_reads_the_api(cast):
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": "secretary_a", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    listing = client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
    assert [m["name"] for m in listing.json()["items"]] == ["张三"]


def test_a_wrong_password_gets_no_token(cast):
    response = Client().post(
        "/api/v1/auth/token", {"username": "secretary_a", "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert "token" not in response.json()


def test_creating_a_member_answers_201_with_masked_values(cast, api_as):
    id_number = valid_id("19980808")
    response = api_as(cast.secretary_a).post(
        "/members",
        {
            "org_id": cast.branch_a.pk,
            "status": "activist",
            "name": "孙八",
            "gender": "M",
            "birth_date": "1998-08-08",
            "id_number": id_number.lower(),
            "phone": "13700001234",
            "address": "上海市浦东新区世纪大道100号",
            "employee_no": "N0100",
            "education": "bachelor",
            "activist_date": "2025-01-10",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    member = Member.objects.get(pk=body["id"])
    assert member.id_number == id_number.upper()
    assert body["id_number"] == id_number[:3] + "*" * 11 + id_number[-4:]
    assert body["phone"] == "137****1234" and "世纪大道" not in body["address"]
    assert (body["org_id"], body["org_name"], body["status"]) == (cast.branch_a.pk, "甲公司第一党支部", "activist")
    assert member.memberships.get().kind == Membership.Kind.PRIMARY
    assert AuditEvent.objects.filter(action="member.create", target_id=str(member.pk), actor=cast.secretary_a).exists()


def test_a_member_can_be_created_in_a_party_group_by_its_secretary(cast, api_as):
    response = api_as(cast.secretary_a).post(
        "/members",
        {"org_id": cast.group_a1.pk, "status": "full", "name": "组员", "gender": "F", "birth_date": "1980-01-01"},
    )
    assert response.status_code == 201
    assert Member.objects.get(pk=response.json()["id"]).org_path.startswith(cast.branch_a.path)


def test_patch_changes_only_the_fields_sent(cast, api_as):
    response = api_as(cast.secretary_a).patch(
        f"/members/{cast.member_a.pk}", {"department": "党群工作部", "hire_date": "2010-07-01"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["department"], body["hire_date"], body["name"]) == ("党群工作部", "2010-07-01", "张三")
    member = Member.objects.get(pk=cast.member_a.pk)
    assert member.phone == "13812345678" and member.id_number == "11010519491231002X"
    event = AuditEvent.objects.get(action="member.update")
    assert event.before == {"department": "", "hire_date": None}
    assert event.after == {"department": "党群工作部", "hire_date": "2010-07-01"}


def test_patch_can_clear_optional_fields(cast, api_as):
    response = api_as(cast.committee).patch(
        f"/members/{cast.member_a.pk}", {"phone": None, "employee_no": None, "hire_date": None}
    )
    assert response.status_code == 200
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.phone, member.phone_index, member.employee_no) == ("", "", None)


def test_patch_does_not_change_status_or_branch(cast, api_as):
    response = api_as(cast.committee).patch(
        f"/members/{cast.member_a.pk}", {"status": "removed", "org_id": cast.branch_b.pk}
    )
    assert response.status_code == 200
    member = Member.objects.get(pk=cast.member_a.pk)
    assert (member.status, member.org_id) == (MemberStatus.FULL, cast.branch_a.pk)


def test_an_affairs_worker_may_edit_by_api(cast, api_as, affairs_worker_a):
    assert api_as(affairs_worker_a).patch(f"/members/{cast.member_a.pk}", {"job_title": "干事"}).status_code == 200
    assert api_as(cast.member_a_user).patch(f"/members/{cast.member_a.pk}", {"job_title": "自封"}).status_code == 404
    assert Member.objects.get(pk=cast.member_a.pk).job_title == "干事"


# --- search and paging -------------------------------------------------------------------------


@pytest.fixture
def people(cast):
    make_member(cast.branch_a, name="张三丰", employee_no="ZS0001")
    make_member(cast.branch_a, name="周舒", employee_no="A0002", status=MemberStatus.PROBATIONARY)
    make_member(cast.group_a1, name="王小明", employee_no="A0003")
    make_member(cast.branch_b, name="张珊", employee_no="B0001")
    return cast


def _q(api, **params):
    response = api.get("/members", params)
    assert response.status_code == 200, response.content
    return {m["name"] for m in response.json()["items"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("zhangsan", {"张三", "张三丰"}),  # full pinyin, a prefix of 张三丰 (张珊 is zhangshan)
        ("ZhangSan", {"张三", "张三丰"}),
        ("zhang san", {"张三", "张三丰"}),
        ("zhangshan", {"张珊"}),
        ("zhangsanf", {"张三丰"}),
        ("zs", {"张三", "张三丰", "周舒", "张珊"}),  # initials
        ("zsf", {"张三丰"}),
        ("张三", {"张三", "张三丰"}),
        ("张", {"张三", "张三丰", "张珊"}),  # one character: the surname
        ("三丰", set()),  # part of a name: not over a whole group (a full scan at scale), see below
        ("a0002", {"周舒"}),  # employee number, any case
        ("ZS0001", {"张三丰"}),
        ("nobody", set()),
    ],
)
def test_q_matches_name_pinyin_initials_and_employee_number(people, api_as, q, expected):
    assert _q(api_as(people.committee), q=q) == expected


@pytest.mark.parametrize(("q", "expected"), [("三丰", {"张三丰"}), ("小明", {"王小明"}), ("三", set())])
def test_part_of_a_name_is_found_in_a_branch_sized_scope(people, api_as, q, expected):
    assert _q(api_as(people.secretary_a), q=q) == expected
    assert _q(api_as(people.committee), q=q, org=people.branch_a.pk) == expected


def test_the_web_list_searches_the_same_way(client, people):
    from django.urls import reverse

    from ..conftest import login

    login(client, people.committee)
    page = client.get(reverse("orgs:member_list"), {"q": "zs", "status": "full"}).context["page_obj"]
    assert {m.name for m in page} == {"张三", "张三丰", "张珊"}  # 周舒 is probationary
    page = client.get(reverse("orgs:member_list"), {"q": "zhangsan", "org": people.company_a.pk}).context["page_obj"]
    assert {m.name for m in page} == {"张三", "张三丰"}


def test_the_org_filter_covers_the_subtree_and_status_filters(people, api_as):
    api = api_as(people.committee)
    assert _q(api, org=people.company_a.pk) == {"张三", "张三丰", "周舒", "王小明"}
    assert _q(api, org=people.branch_a.pk, status="probationary") == {"周舒"}
    assert _q(api, org=people.group_a1.pk) == {"王小明"}
    assert _q(api, q="zs", org=people.company_b.pk) == {"张珊"}
    assert _q(api_as(people.secretary_a), q="zs") == {"张三", "张三丰", "周舒"}  # scope still applies


def test_paging_returns_items_and_the_total_count(cast, api_as):
    bulk_members(cast.branch_b, 7)
    api = api_as(cast.committee)
    pages = [api.get("/members", {"page_size": 4, "page": n}).json() for n in (1, 2, 3, 4)]
    assert [p["count"] for p in pages] == [9, 9, 9, 9]
    assert [len(p["items"]) for p in pages] == [4, 4, 1, 0]
    ids = [m["id"] for p in pages for m in p["items"]]
    assert ids == sorted(set(ids)) and len(ids) == 9
    assert api.get("/members").json()["count"] == 9  # default page size covers them all


def test_list_items_have_the_documented_fields(cast, api_as):
    (item,) = api_as(cast.secretary_a).get("/members").json()["items"]
    assert item["id"] == cast.member_a.pk
    assert {"id", "name", "gender", "status", "org_id", "org_name", "employee_no"} <= set(item)
    assert "id_number" not in item and "phone" not in item


# --- org tree and detail -----------------------------------------------------------------------


def test_the_tree_lists_every_visible_org_with_parents_and_counts(cast, api_as):
    make_member(cast.branch_a, status=MemberStatus.PROBATIONARY)
    make_member(cast.branch_a, status=MemberStatus.APPLICANT)  # not a member yet
    rows = api_as(cast.committee).get("/orgs/tree").json()
    by_id = {r["id"]: r for r in rows}
    assert [r["id"] for r in rows] == [o.pk for o in Org.objects.order_by("path")]
    assert by_id[cast.group.pk]["parent_id"] is None
    assert by_id[cast.branch_a.pk]["parent_id"] == cast.company_a.pk
    assert by_id[cast.group_a1.pk]["parent_id"] == cast.branch_a.pk
    assert by_id[cast.branch_a.pk]["member_count"] == 2
    assert by_id[cast.branch_a.pk]["kind"] == "branch"


def test_the_tree_can_start_at_a_root_and_stop_at_a_depth(cast, api_as):
    api = api_as(cast.committee)
    rows = api.get("/orgs/tree", {"root": cast.company_a.pk, "depth": 1}).json()
    assert [r["id"] for r in rows] == [cast.company_a.pk, cast.branch_a.pk]
    assert rows[0]["parent_id"] == cast.group.pk


def test_org_detail_has_its_fields_and_warnings(cast, api_as):
    temp = make_org(
        "项目临时支部", Org.Kind.BRANCH, parent=cast.company_a, is_temporary=True, ends_on="2030-01-01", unit="某项目部"
    )
    body = api_as(cast.committee).get(f"/orgs/{temp.pk}").json()
    assert (body["is_temporary"], body["ends_on"], body["unit"], body["parent_id"]) == (
        True,
        "2030-01-01",
        "某项目部",
        cast.company_a.pk,
    )
    assert body["warnings"] == []
    body = api_as(cast.secretary_a).get(f"/orgs/{cast.branch_a.pk}").json()
    assert [w["code"] for w in body["warnings"]] == ["too_few"]


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_has_one_tag_per_app_and_orgs_paths_are_tagged_orgs(cast):
    schema = Client().get("/api/v1/openapi.json").json()
    seen = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            assert len(op.get("tags", [])) == 1, (path, method)
            seen[(path, method)] = op["tags"][0]
    for key in [
        ("/api/v1/members", "get"),
        ("/api/v1/members", "post"),
        ("/api/v1/members/{member_id}", "get"),
        ("/api/v1/members/{member_id}", "patch"),
        ("/api/v1/orgs/tree", "get"),
        ("/api/v1/orgs/{org_id}", "get"),
    ]:
        assert seen[key] == "orgs", key
