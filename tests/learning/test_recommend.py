"""Recommendations: hybrid of content, co-study and branch popularity; never what the member cannot see; explained."""

import datetime as dt

from django.utils import timezone

from dangjian.learning import recommend as rec
from dangjian.learning.evaluation import evaluate_offline
from dangjian.learning.models import StudyProgress
from dangjian.orgs.models import OrgPost

from ..conftest import login
from ..factories import make_member
from .conftest import make_resource


def studied(member, resource, days_ago=10):
    at = timezone.now() - dt.timedelta(days=days_ago)
    return StudyProgress.objects.create(
        member=member,
        resource=resource,
        study_ms=resource.duration * 1000,
        furthest=resource.duration,
        started_at=at,
        completed_at=at,
    )


def test_cooccurrence_is_normalised():
    sims = rec.cooccurrence([{1, 2}, {1, 2}, {1, 3}, {4}])
    assert round(sims[1][2], 3) == round(2 / (3 * 2) ** 0.5, 3)
    assert 4 not in sims


def test_never_recommends_what_the_member_cannot_see(lib):
    # Everyone in branch B studied branch B's material: popular, co-studied, and textually close — still invisible.
    for i in range(5):
        m = make_member(lib.branch_b, name=f"乙党员{i}")
        studied(m, lib.b_only)
        studied(m, lib.charter)
    studied(lib.member_a, lib.charter)
    rec.neighbours_rebuild()
    for user in (lib.member_a_user,):
        got = [r.resource.pk for r in rec.recommend(user, limit=30)]
        assert lib.b_only.pk not in got and got


def test_secretary_gets_the_role_explanation(lib):
    sec_member = make_member(lib.branch_a, name="甲书记", user=lib.secretary_a)
    OrgPost.objects.create(org=lib.branch_a, member=sec_member, post="secretary", started_on="2024-01-01")
    recs = rec.recommend(lib.secretary_a, limit=10)
    guide = next(r for r in recs if r.resource.pk == lib.secretary_guide.pk)
    assert guide.reason == "Because you are a branch secretary" or guide.reason == "因为您是支部书记"
    assert recs[0].resource.pk == lib.secretary_guide.pk


def test_new_member_falls_back_to_branch_popularity(lib):
    for i in range(4):
        studied(make_member(lib.branch_a, name=f"甲党员{i}"), lib.python)
    newcomer = make_member(lib.branch_a, name="新党员", user=lib.outsider)
    recs = rec.recommend(lib.outsider, limit=10)
    assert newcomer and recs[0].resource.pk == lib.python.pk
    assert str(recs[0].reason) in ("Members of your branch studied this", "本支部党员学过这个")


def test_co_study_explanation(lib):
    for i in range(4):
        m = make_member(lib.branch_a, name=f"甲党员{i}")
        studied(m, lib.charter)
        studied(m, lib.video)
    studied(lib.member_a, lib.charter)
    rec.neighbours_rebuild()
    recs = rec.recommend(lib.member_a_user, limit=10)
    top = recs[0]
    assert top.resource.pk == lib.video.pk
    assert "学习党章：党员的义务" in top.reason


def test_recommendation_screen_and_api(client, lib):
    login(client, lib.member_a_user)
    page = client.get("/learning/")
    assert page.status_code == 200 and 'data-testid="recommendations"' in page.content.decode()
    api = client.get("/api/v1/learning/recommendations").json()
    assert api["count"] >= 1 and all(i["reason"] for i in api["items"])
    assert lib.b_only.pk not in [i["resource"]["id"] for i in api["items"]]
    assert client.get("/api/v1/learning/recommendations", {"limit": 0}).status_code == 400


def test_offline_evaluation_reports_precision_and_recall(lib):
    topics = [make_resource(lib, title=f"安全生产专题第{i}讲", dimension="skill") for i in range(6)]
    people = [make_member(lib.branch_a, name=f"安全员{i}", job_title="安全员") for i in range(12)]
    for n, m in enumerate(people):
        for k, r in enumerate(topics[: 3 + n % 3]):
            studied(m, r, days_ago=100 - k * 15)
        studied(m, lib.charter, days_ago=90)
    result = evaluate_offline(k=5, test_fraction=0.3)
    assert result is not None and result.members > 0
    assert 0 <= result.hybrid_precision <= 1 and 0 <= result.popularity_recall <= 1
    assert result.hybrid_recall >= result.popularity_recall
