"""Reflections: written on what was studied, featured, liked and commented on; moderated (audited); scoped."""

import pytest

from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.learning import reflections
from dangjian.learning.models import Reflection, ReflectionComment, ReflectionLike, StudyProgress

from ..conftest import login
from ..factories import make_member


@pytest.fixture
def written(lib):
    StudyProgress.objects.create(member=lib.member_a, resource=lib.charter, study_ms=60_000)
    lib.reflection = reflections.reflection_write(
        acting_user=lib.member_a_user,
        title="学党章的体会",
        body="通过学习党章，我更加明确了党员的义务。",
        resource=lib.charter,
    )
    return lib


def test_a_reflection_needs_study_first(lib):
    with pytest.raises(DomainError) as exc:
        reflections.reflection_write(
            acting_user=lib.member_a_user, title="体会", body="还没学就写体会，不行。", resource=lib.video
        )
    assert exc.value.errors[0]["field"] == "resource"
    with pytest.raises(DomainError) as exc:
        reflections.reflection_write(acting_user=lib.member_a_user, title="", body="短")
    assert exc.value.errors[0]["field"] == "title"


def test_likes_are_once_per_member(written):
    colleague = make_member(written.branch_a, name="同事", user=written.outsider)
    assert colleague
    for _ in range(3):
        n = reflections.reflection_like(reflection=written.reflection, acting_user=written.outsider)
    assert n == 1 and ReflectionLike.objects.count() == 1
    assert reflections.reflection_like(reflection=written.reflection, acting_user=written.outsider, like=False) == 0


def test_feature_hide_restore_are_audited(written):
    r = written.reflection
    reflections.reflection_feature(reflection=r, featured=True, acting_user=written.secretary_a)
    assert r.featured_at is not None
    with pytest.raises(DomainError) as exc:
        reflections.reflection_moderate(reflection=r, hidden=True, acting_user=written.secretary_a)
    assert exc.value.errors[0]["field"] == "reason"
    reflections.reflection_moderate(reflection=r, hidden=True, reason="含有不当内容", acting_user=written.secretary_a)
    assert r.hidden_at and r.featured_at is None
    reflections.reflection_moderate(reflection=r, hidden=False, acting_user=written.secretary_a)
    actions = list(
        AuditEvent.objects.filter(target_id=str(r.pk), action__startswith="learning.reflection")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["learning.reflection_feature", "learning.reflection_hide", "learning.reflection_restore"]


def test_comment_moderation(written):
    c = reflections.comment_add(reflection=written.reflection, acting_user=written.member_a_user, body="互相学习！")
    reflections.comment_moderate(comment=c, hidden=True, reason="无关内容", acting_user=written.secretary_a)
    written.reflection.refresh_from_db()
    assert written.reflection.comment_count == 0
    reflections.comment_moderate(comment=c, hidden=False, acting_user=written.secretary_a)
    written.reflection.refresh_from_db()
    assert written.reflection.comment_count == 1
    assert AuditEvent.objects.filter(action="learning.comment_hide").exists()


def test_another_branch_sees_nothing_and_changes_nothing(client, written):
    r = written.reflection
    b_member = make_member(written.branch_b, name="乙党员", user=written.outsider)
    assert b_member
    login(client, written.outsider)
    assert client.get(f"/learning/reflections/{r.pk}/").status_code == 404
    for action, data in (("like", {}), ("comment", {"body": "x"}), ("hide", {"reason": "x"}), ("feature", {})):
        assert client.post(f"/learning/reflections/{r.pk}/{action}/", data).status_code == 404
    assert (
        client.post(f"/api/v1/learning/reflections/{r.pk}/like", {}, content_type="application/json").status_code == 404
    )
    assert r.title not in client.get("/learning/reflections/").content.decode()
    login(client, written.secretary_b)
    assert client.post(f"/learning/reflections/{r.pk}/hide/", {"reason": "x"}).status_code == 404
    assert (
        client.post(
            f"/api/v1/learning/reflections/{r.pk}/moderate",
            {"hidden": True, "reason": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    r.refresh_from_db()
    assert (
        r.like_count == 0 and r.hidden_at is None and r.featured_at is None and not ReflectionComment.objects.exists()
    )


def test_a_member_of_the_branch_cannot_moderate(client, written):
    colleague = make_member(written.branch_a, name="同事", user=written.outsider)
    assert colleague
    login(client, written.outsider)
    assert client.get(f"/learning/reflections/{written.reflection.pk}/").status_code == 200
    assert client.post(f"/learning/reflections/{written.reflection.pk}/hide/", {"reason": "x"}).status_code == 404
    assert client.post(f"/learning/reflections/{written.reflection.pk}/like/").status_code == 302
    assert client.post(f"/learning/reflections/{written.reflection.pk}/comment/", {"body": ""}).status_code == 400


def test_hidden_reflection_is_gone_for_the_branch_but_not_for_its_author(client, written):
    reflections.reflection_moderate(
        reflection=written.reflection, hidden=True, reason="不当", acting_user=written.secretary_a
    )
    colleague = make_member(written.branch_a, name="同事", user=written.outsider)
    assert colleague
    login(client, written.outsider)
    assert client.get(f"/learning/reflections/{written.reflection.pk}/").status_code == 404
    login(client, written.member_a_user)
    page = client.get(f"/learning/reflections/{written.reflection.pk}/")
    assert page.status_code == 200 and "不当" in page.content.decode()


def test_write_through_the_screen_and_api(client, lib):
    StudyProgress.objects.create(member=lib.member_a, resource=lib.charter, study_ms=60_000)
    login(client, lib.member_a_user)
    bad = client.post("/learning/reflections/new/", {"title": "", "body": "x", "resource": lib.b_only.pk})
    assert bad.status_code == 400 and {"title", "resource"} <= set(bad.context["form"].errors)
    ok = client.post(
        "/learning/reflections/new/", {"title": "体会", "body": "认真学习党章，受益匪浅。", "resource": lib.charter.pk}
    )
    assert ok.status_code == 302
    api = client.post(
        "/api/v1/learning/reflections",
        {"title": "体会二", "text": "再学党章，又有新收获。", "resource": lib.charter.pk},
        content_type="application/json",
    )
    assert api.status_code == 201 and api.json()["resource_id"] == lib.charter.pk
    other = client.post(
        "/api/v1/learning/reflections",
        {"title": "x", "text": "这是别的支部的材料。", "resource": lib.b_only.pk},
        content_type="application/json",
    )
    assert other.status_code == 404
    bad_api = client.post("/api/v1/learning/reflections", {"title": "", "text": ""}, content_type="application/json")
    assert bad_api.status_code == 400 and {"title", "text"} <= {e["field"] for e in bad_api.json()["errors"]}
    assert Reflection.objects.count() == 2


def test_reflection_list_query_count(client, written, django_assert_max_num_queries):
    login(client, written.member_a_user)
    with django_assert_max_num_queries(30) as first:
        assert client.get("/learning/reflections/").status_code == 200
    for i in range(10):
        reflections.reflection_write(
            acting_user=written.member_a_user, title=f"体会{i}", body="学习党章的又一点体会。", resource=written.charter
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/learning/reflections/").status_code == 200
    api = client.get("/api/v1/learning/reflections").json()
    assert api["count"] == 11
    c = client.post(
        f"/api/v1/learning/reflections/{written.reflection.pk}/comments",
        {"text": "写得好"},
        content_type="application/json",
    )
    assert c.status_code == 201 and c.json()["text"] == "写得好"
    bad = client.post(
        f"/api/v1/learning/reflections/{written.reflection.pk}/comments", {"text": ""}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "text"
