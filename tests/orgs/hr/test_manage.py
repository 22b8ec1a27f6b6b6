"""Management screens: sub-organisations, committee posts, commendations, extra memberships — scope and bad input."""

from dangjian.orgs.models import Membership, Org, OrgPost, RewardDiscipline

from ...conftest import login
from ...factories import make_org


def test_committee_adds_a_branch_and_a_secretary_cannot_elsewhere(client, cast):
    login(client, cast.committee)
    response = client.post(f"/orgs/{cast.company_a.pk}/add/", {"name": "甲公司第二党支部", "kind": "branch"})
    assert (
        response.status_code == 302 and Org.objects.filter(name="甲公司第二党支部").get().get_parent() == cast.company_a
    )
    assert client.post(f"/orgs/{cast.company_a.pk}/add/", {"name": "", "kind": "nonsense"}).status_code == 400
    login(client, cast.secretary_b)
    assert client.post(f"/orgs/{cast.company_a.pk}/add/", {"name": "冒名支部", "kind": "branch"}).status_code == 404
    assert not Org.objects.filter(name="冒名支部").exists()


def test_posts_are_assigned_to_members_of_the_org(client, cast):
    login(client, cast.committee)
    ok = client.post(
        f"/orgs/{cast.branch_a.pk}/posts/add/",
        {"employee_no": cast.member_a.employee_no, "post": "secretary", "started_on": "2026-01-01"},
    )
    assert ok.status_code == 302 and OrgPost.objects.filter(org=cast.branch_a, member=cast.member_a).exists()
    other = client.post(
        f"/orgs/{cast.branch_a.pk}/posts/add/",
        {"employee_no": cast.member_b.employee_no, "post": "secretary", "started_on": "2026-01-01"},
    )
    assert other.status_code == 400 and not OrgPost.objects.filter(member=cast.member_b).exists()


def test_rewards_and_extra_memberships(client, cast):
    cloud = make_org("集团云端支部", Org.Kind.BRANCH, parent=cast.company_a, is_cloud=True)
    login(client, cast.committee)
    client.post(
        f"/orgs/members/{cast.member_a.pk}/rewards/add/",
        {"kind": "reward", "title": "优秀共产党员", "issued_on": "2026-07-01"},
    )
    assert RewardDiscipline.objects.filter(member=cast.member_a, title="优秀共产党员").exists()
    assert (
        client.post(
            f"/orgs/members/{cast.member_a.pk}/rewards/add/", {"kind": "reward", "title": "", "issued_on": "x"}
        ).status_code
        == 400
    )
    client.post(f"/orgs/members/{cast.member_a.pk}/memberships/add/", {"org": cloud.pk})
    assert Membership.objects.filter(member=cast.member_a, org=cloud, kind="cloud").exists()
    assert Membership.objects.get(member=cast.member_a, kind="primary", ended_on__isnull=True).org == cast.branch_a
    login(client, cast.secretary_b)
    assert (
        client.post(
            f"/orgs/members/{cast.member_a.pk}/rewards/add/",
            {"kind": "discipline", "title": "x", "issued_on": "2026-01-01"},
        ).status_code
        == 404
    )
    assert not RewardDiscipline.objects.filter(kind="discipline").exists()
