"""Learning maps: roles and posts, a member's map with progress, a branch's map in a fixed number of queries."""

import pytest

from dangjian.core.errors import DomainError
from dangjian.learning import maps
from dangjian.learning.models import LearnerRole, StudyProgress
from dangjian.orgs.models import OrgPost

from ..conftest import login
from ..factories import make_member
from .conftest import make_resource


@pytest.fixture
def mapped(lib):
    lm = maps.map_save(org=lib.group, role=LearnerRole.MEMBER, title="党员学习地图", acting_user=lib.committee)
    maps.map_item_set(
        learning_map=lm, resource=lib.charter, dimension="political", required=True, acting_user=lib.committee
    )
    ethics = make_resource(lib, title="职业道德修养：爱岗敬业", dimension="ethics")
    maps.map_item_set(learning_map=lm, resource=ethics, dimension="ethics", required=True, acting_user=lib.committee)
    safety = make_resource(lib, title="有限空间作业安全规程", dimension="skill")
    maps.map_item_set(
        learning_map=lm, resource=safety, dimension="skill", required=True, post="安全员", acting_user=lib.committee
    )
    sec = maps.map_save(org=lib.group, role=LearnerRole.SECRETARY, title="支部书记学习地图", acting_user=lib.committee)
    maps.map_item_set(
        learning_map=sec, resource=lib.secretary_guide, dimension="skill", required=True, acting_user=lib.committee
    )
    lib.ethics, lib.safety = ethics, safety
    return lib


def done(member, resource):
    StudyProgress.objects.create(
        member=member,
        resource=resource,
        position=resource.duration,
        furthest=resource.duration,
        study_ms=resource.duration * 1000,
        completed_at="2026-01-01T00:00:00Z",
    )


def test_member_map_by_role_and_post(mapped):
    done(mapped.member_a, mapped.charter)
    views = {v.dimension: v for v in maps.member_map(mapped.member_a)}
    assert [r.resource.title for r in views["political"].required] == ["学习党章：党员的义务"]
    assert views["political"].required_done == 1 and views["political"].percent == 100
    assert views["ethics"].required_done == 0
    assert views["skill"].rows == []  # not a safety officer, not a secretary
    mapped.member_a.job_title = "安全员"
    mapped.member_a.save()
    OrgPost.objects.create(org=mapped.branch_a, member=mapped.member_a, post="secretary", started_on="2024-01-01")
    skill = {v.dimension: v for v in maps.member_map(mapped.member_a)}["skill"]
    assert {r.resource.title for r in skill.required} == {"有限空间作业安全规程", "支部书记履职指南：三会一课"}


def test_branch_map_is_a_fixed_number_of_queries(mapped, django_assert_max_num_queries):
    done(mapped.member_a, mapped.charter)
    with django_assert_max_num_queries(8) as first:
        rows = maps.branch_map(org=mapped.branch_a, acting_user=mapped.secretary_a)
    row = next(r for r in rows if r.member == mapped.member_a)
    assert row.by_dimension["political"] == (1, 1) and row.by_dimension["ethics"] == (0, 1)
    for i in range(20):
        m = make_member(mapped.branch_a, name=f"党员{i}")
        done(m, mapped.ethics)
    with django_assert_max_num_queries(len(first.captured_queries)):
        rows = maps.branch_map(org=mapped.branch_a, acting_user=mapped.secretary_a)
    assert len(rows) == 21 and sum(r.by_dimension["ethics"][0] for r in rows) == 20


def test_branch_map_of_another_branch_is_404(client, mapped):
    with pytest.raises(DomainError) as exc:
        maps.branch_map(org=mapped.branch_a, acting_user=mapped.secretary_b)
    assert exc.value.status == 404
    login(client, mapped.secretary_b)
    assert client.get("/learning/map/branch/", {"org": mapped.branch_a.pk}).status_code == 404
    assert client.get("/api/v1/learning/map/branch", {"org": mapped.branch_a.pk}).status_code == 404
    assert client.get("/learning/map/branch/", {"org": "abc"}).status_code == 400
    bad = client.get("/api/v1/learning/map/branch", {"org": "abc"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "org"


def test_secretary_sees_the_branch_map_screen(client, mapped):
    done(mapped.member_a, mapped.charter)
    login(client, mapped.secretary_a)
    page = client.get("/learning/map/branch/")
    assert page.status_code == 200 and "张三" in page.content.decode()
    api = client.get("/api/v1/learning/map/branch", {"org": mapped.branch_a.pk}).json()
    assert api[0]["by_dimension"]["political"] == [1, 1]


def test_member_map_screen_and_api(client, mapped):
    login(client, mapped.member_a_user)
    assert client.get("/learning/map/").status_code == 200
    data = client.get("/api/v1/learning/map").json()
    assert [d["dimension"] for d in data] == ["political", "skill", "ethics"]
    login(client, mapped.secretary_b)  # no member record: no own map
    assert client.get("/learning/map/").status_code == 404
    assert client.get("/api/v1/learning/map").status_code == 404


def test_map_items_must_be_visible_to_the_maps_audience(mapped):
    with pytest.raises(DomainError) as exc:  # a branch A resource on a map for the whole group
        lm = maps.map_save(org=mapped.group, role=LearnerRole.LEADER, title="领导", acting_user=mapped.committee)
        maps.map_item_set(
            learning_map=lm, resource=mapped.python, dimension="skill", required=True, acting_user=mapped.committee
        )
    assert exc.value.errors[0]["field"] == "resource"
    with pytest.raises(DomainError):
        maps.map_save(org=mapped.branch_b, role="member", title="x", acting_user=mapped.secretary_a)


def test_map_screens_scope_and_bad_input(client, mapped):
    login(client, mapped.secretary_a)
    bad = client.post("/learning/maps/", {"org": mapped.branch_a.pk, "role": "king", "title": ""})
    assert bad.status_code == 400 and {"role", "title"} <= set(bad.context["form"].errors)
    ok = client.post("/learning/maps/", {"org": mapped.branch_a.pk, "role": "member", "title": "支部党员地图"})
    assert ok.status_code == 302
    group_map = mapped.group.pk
    assert group_map
    from dangjian.learning.models import LearningMap

    other = LearningMap.objects.get(org=mapped.group, role="member")
    assert (
        client.get(f"/learning/maps/{other.pk}/").status_code == 404
    )  # the group's map is not the secretary's to change
    item = other.items.first()
    assert client.post(f"/learning/maps/{other.pk}/items/{item.pk}/remove/").status_code == 404
    assert other.items.count() == 3
