"""Who sees what: a user of another branch or company gets 404 and nothing changes, on the web and the API."""

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member, Org, StatusChange

from ..conftest import login
from ..factories import make_member
from .conftest import valid_id


def _state(member):
    m = Member.objects.get(pk=member.pk)
    return (
        m.name,
        m.status,
        m.phone,
        m.department,
        m.org_id,
        StatusChange.objects.filter(member=m).count(),
        AuditEvent.objects.filter(target_id=str(m.pk), action__startswith="member.").count(),
    )


# --- web ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url_name", "extra", "data"),
    [
        ("get", "orgs:member_detail", [], None),
        ("get", "orgs:member_edit", [], None),
        (
            "post",
            "orgs:member_edit",
            [],
            {"name": "改名", "gender": "M", "ethnicity": "汉族", "birth_date": "1980-01-01"},
        ),
        ("post", "orgs:member_status", [], {"to_status": "suspended", "effective_on": "2025-01-01"}),
        ("post", "orgs:member_reveal", ["id_number"], None),
        ("post", "orgs:member_reveal", ["phone"], None),
    ],
)
def test_a_secretary_of_another_branch_gets_404_and_nothing_changes(client, cast, method, url_name, extra, data):
    before = _state(cast.member_a)
    login(client, cast.secretary_b)
    response = getattr(client, method)(reverse(url_name, args=[cast.member_a.pk, *extra]), data or {})
    assert response.status_code == 404
    assert "11010519491231002X" not in response.content.decode()
    assert _state(cast.member_a) == before


@pytest.mark.parametrize("url_name", ["orgs:org_detail", "orgs:org_edit"])
def test_a_committee_of_another_company_cannot_see_its_orgs(client, cast, committee_b, url_name):
    login(client, committee_b)
    for org in (cast.company_a, cast.branch_a, cast.group_a1, cast.group):
        assert client.get(reverse(url_name, args=[org.pk])).status_code == 404
    assert client.get(reverse(url_name, args=[cast.branch_b.pk])).status_code == 200


def test_editing_another_companys_org_changes_nothing(client, cast, committee_b):
    login(client, committee_b)
    response = client.post(reverse("orgs:org_edit", args=[cast.branch_a.pk]), {"name": "被改名"})
    assert response.status_code == 404
    assert Org.objects.get(pk=cast.branch_a.pk).name == "甲公司第一党支部"
    assert not AuditEvent.objects.filter(action="org.update").exists()


def test_a_secretary_may_not_edit_the_org_itself(client, cast):
    login(client, cast.secretary_a)
    assert client.get(reverse("orgs:org_detail", args=[cast.branch_a.pk])).status_code == 200
    assert client.get(reverse("orgs:org_edit", args=[cast.branch_a.pk])).status_code == 404


def test_the_org_filter_of_another_branch_is_404(client, cast):
    login(client, cast.secretary_b)
    assert client.get(reverse("orgs:member_list"), {"org": cast.branch_a.pk}).status_code == 404
    assert client.get(reverse("orgs:member_list"), {"org": cast.company_a.pk}).status_code == 404
    assert client.get(reverse("orgs:member_list"), {"org": cast.branch_b.pk}).status_code == 200


def _names(client, **params):
    response = client.get(reverse("orgs:member_list"), params)
    assert response.status_code == 200
    return {m.name for m in response.context["page_obj"]}


def test_a_committee_admin_sees_its_whole_subtree(client, cast, committee_b):
    in_group = make_member(cast.group_a1, name="组员甲")
    login(client, cast.committee)
    assert _names(client) == {"张三", "李四", in_group.name}
    login(client, committee_b)
    assert _names(client) == {"李四"}


def test_a_secretary_sees_their_branch_and_its_groups(client, cast):
    in_group = make_member(cast.group_a1, name="组员甲")
    login(client, cast.secretary_a)
    assert _names(client) == {"张三", in_group.name}
    assert client.get(reverse("orgs:member_detail", args=[in_group.pk])).status_code == 200
    assert client.get(reverse("orgs:member_detail", args=[cast.member_b.pk])).status_code == 404


def test_a_member_sees_only_their_own_record(client, cast):
    make_member(cast.branch_a, name="同支部党员")
    login(client, cast.member_a_user)
    assert _names(client) == {"张三"}
    assert client.get(reverse("orgs:my_record")).status_code == 200
    assert client.get(reverse("orgs:member_detail", args=[cast.member_b.pk])).status_code == 404
    assert client.get(reverse("orgs:member_edit", args=[cast.member_a.pk])).status_code == 404  # no editing oneself
    assert client.get(reverse("orgs:member_create")).status_code == 404


def test_an_employee_without_a_role_sees_nothing(client, cast):
    login(client, cast.outsider)
    assert _names(client) == set()
    assert client.get(reverse("orgs:tree")).status_code == 404
    assert client.get(reverse("orgs:my_record")).status_code == 404
    assert client.get(reverse("orgs:member_detail", args=[cast.member_a.pk])).status_code == 404
    assert client.get(reverse("orgs:org_detail", args=[cast.branch_a.pk])).status_code == 404
    assert client.get(reverse("orgs:member_create")).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, cast):
    response = client.get(reverse("orgs:member_detail", args=[cast.member_a.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_new_member_cannot_be_placed_in_another_branch(client, cast):
    login(client, cast.secretary_b)
    count = Member.objects.count()
    response = client.post(
        reverse("orgs:member_create"),
        {
            "org": cast.branch_a.pk,
            "status": "applicant",
            "name": "越权",
            "gender": "M",
            "ethnicity": "汉族",
            "birth_date": "1990-01-01",
        },
    )
    assert response.status_code == 400
    assert Member.objects.count() == count


# --- API ---------------------------------------------------------------------------------------


def test_a_branch_secretarys_token_asking_for_a_member_of_another_branch_gets_404(cast, api_as):
    """Acceptance check: the API answers 404, not 403, and says nothing about the record."""
    api = api_as(cast.secretary_b)
    response = api.get(f"/members/{cast.member_a.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"], "errors": []}
    assert "张三" not in response.content.decode()
    assert api.get(f"/members/{cast.member_a.pk}", {"reveal": "true"}).status_code == 404
    assert not AuditEvent.objects.filter(action="member.reveal").exists()
    assert api.get(f"/members/{cast.member_b.pk}").status_code == 200


def test_a_patch_to_another_branchs_member_is_404_and_changes_nothing(cast, api_as):
    before = _state(cast.member_a)
    response = api_as(cast.secretary_b).patch(f"/members/{cast.member_a.pk}", {"name": "改名", "phone": "13900000000"})
    assert response.status_code == 404
    assert _state(cast.member_a) == before


def test_creating_a_member_in_another_branch_is_404(cast, api_as):
    count = Member.objects.count()
    response = api_as(cast.secretary_b).post(
        "/members",
        {
            "org_id": cast.branch_a.pk,
            "status": "applicant",
            "name": "越权",
            "gender": "M",
            "birth_date": "1990-01-01",
            "id_number": valid_id(),
        },
    )
    assert response.status_code == 404
    assert Member.objects.count() == count


def test_the_api_org_filter_of_another_branch_is_404(cast, api_as):
    api = api_as(cast.secretary_b)
    assert api.get("/members", {"org": cast.branch_a.pk}).status_code == 404
    assert api.get(f"/orgs/{cast.branch_a.pk}").status_code == 404
    assert api.get("/orgs/tree", {"root": cast.company_a.pk}).status_code == 404


def test_the_api_lists_only_what_is_in_scope(cast, api_as):
    def names(user):
        return {m["name"] for m in api_as(user).get("/members").json()["items"]}

    assert names(cast.committee) == {"张三", "李四"}
    assert names(cast.secretary_a) == {"张三"}
    assert names(cast.member_a_user) == {"张三"}
    assert names(cast.outsider) == set()
    assert api_as(cast.outsider).get(f"/members/{cast.member_a.pk}").status_code == 404
    assert api_as(cast.outsider).get("/orgs/tree").json() == []


def test_the_tree_api_shows_the_visible_subtree(cast, api_as):
    rows = api_as(cast.secretary_a).get("/orgs/tree").json()
    assert [r["id"] for r in rows] == [cast.branch_a.pk, cast.group_a1.pk]
    assert rows[1]["parent_id"] == cast.branch_a.pk
    assert rows[0]["parent_id"] == cast.company_a.pk  # named even though the parent itself is not visible
    rows = api_as(cast.member_a_user).get("/orgs/tree").json()
    assert [r["id"] for r in rows] == [cast.branch_a.pk]


def test_the_api_without_credentials_is_401(cast, api_as):
    response = api_as(None).get("/members")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}
    bad = api_as(None)
    bad.headers["Authorization"] = "Bearer not-a-token"
    assert bad.get(f"/members/{cast.member_a.pk}").status_code == 401
