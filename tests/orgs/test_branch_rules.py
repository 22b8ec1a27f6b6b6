"""Branch-rule warnings (支部工作条例) at their boundaries, and the temporary-branch expiry job."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member, Membership, MemberStatus, Org, OrgPost
from dangjian.orgs.selectors import branch_warnings
from dangjian.orgs.services import membership_add_extra, temporary_branches_expire
from dangjian.orgs.tasks import expire_temporary_branches

from ..conftest import login
from ..factories import make_member, make_org
from .conftest import bulk_members


def _branch(cast, name="测试党支部", **fields):
    return make_org(name, Org.Kind.BRANCH, parent=cast.company_a, **fields)


def _codes(org, today=None):
    return [w.code for w in branch_warnings(Org.objects.filter(pk=org.pk), today=today)]


@pytest.mark.parametrize(("full", "warned"), [(2, True), (3, False)])
def test_it_warns_below_three_full_members(cast, full, warned):
    branch = _branch(cast)
    bulk_members(branch, full)
    assert ("too_few" in _codes(branch)) is warned


def test_an_empty_branch_is_warned(cast):
    branch = _branch(cast)
    assert _codes(branch) == ["too_few"]


def test_probationary_members_are_not_counted_as_full(cast):
    branch = _branch(cast)
    bulk_members(branch, 2)
    bulk_members(branch, 5, status=MemberStatus.PROBATIONARY)
    bulk_members(branch, 3, status=MemberStatus.ACTIVIST)  # not members yet: never counted
    assert "too_few" in _codes(branch)


def test_members_of_a_party_group_count_for_their_branch(cast):
    branch = _branch(cast)
    group = make_org("党小组", Org.Kind.GROUP, parent=branch)
    bulk_members(branch, 1)
    bulk_members(group, 2)
    assert "too_few" not in _codes(branch)


@pytest.mark.parametrize(("total", "warned"), [(50, False), (51, True)])
def test_it_warns_above_fifty_members_counting_probationary(cast, total, warned):
    branch = _branch(cast)
    bulk_members(branch, 10)
    bulk_members(branch, total - 10, status=MemberStatus.PROBATIONARY)
    assert ("too_many" in _codes(branch)) is warned


def test_a_hundred_members_call_for_a_committee_instead(cast):
    branch = _branch(cast)
    bulk_members(branch, 100)
    codes = _codes(branch)
    assert "needs_committee_org" in codes
    assert "too_many" not in codes  # one size warning, not two


@pytest.mark.parametrize(("full", "warned"), [(6, False), (7, True)])
def test_seven_full_members_need_a_branch_committee(cast, full, warned):
    branch = _branch(cast)
    bulk_members(branch, full)
    bulk_members(branch, 3, status=MemberStatus.PROBATIONARY)  # probationary members do not count
    assert ("needs_committee" in _codes(branch)) is warned


def test_an_elected_committee_clears_the_committee_warning(cast):
    branch = _branch(cast)
    members = bulk_members(branch, 7)
    for m, post in zip(
        members, [OrgPost.Post.SECRETARY, OrgPost.Post.ORGANISATION, OrgPost.Post.PROPAGANDA], strict=False
    ):
        OrgPost.objects.create(org=branch, member=m, post=post, started_on=dt.date(2024, 1, 1))
    assert "needs_committee" not in _codes(branch)


@pytest.mark.parametrize(("days", "warned"), [(183, True), (184, False)])
def test_it_reminds_six_months_before_the_term_ends(cast, days, warned):
    today = dt.date(2026, 3, 1)
    branch = _branch(cast, term_start=today - dt.timedelta(days=900), term_end=today + dt.timedelta(days=days))
    bulk_members(branch, 3)
    assert ("term_ending" in _codes(branch, today=today)) is warned


def test_an_overdue_election_is_red(cast):
    today = dt.date(2026, 3, 1)
    branch = _branch(cast, term_start=dt.date(2022, 1, 1), term_end=today - dt.timedelta(days=1))
    bulk_members(branch, 3)
    (warning,) = branch_warnings(Org.objects.filter(pk=branch.pk), today=today)
    assert (warning.code, warning.level) == ("term_over", "red")


def test_cloud_and_temporary_branches_have_no_size_warnings(cast):
    cloud = _branch(cast, "云端支部", is_cloud=True)
    temporary = _branch(cast, "项目临时支部", is_temporary=True, ends_on=timezone.localdate() + dt.timedelta(days=30))
    assert _codes(cloud) == []
    assert _codes(temporary) == []


def test_warnings_for_many_orgs_are_computed_together(cast, django_assert_max_num_queries):
    branches = [_branch(cast, f"支部{i}") for i in range(10)]
    for i, b in enumerate(branches):
        bulk_members(b, i)
    with django_assert_max_num_queries(3):
        warnings = branch_warnings(Org.objects.filter(pk__in=[b.pk for b in branches]))
    assert {w.org.pk for w in warnings if w.code == "too_few"} == {b.pk for b in branches[:3]}


def test_warnings_show_on_the_org_page_and_in_the_api(client, cast, api_as):
    cast.branch_a.term_start, cast.branch_a.term_end = dt.date(2023, 1, 1), timezone.localdate() + dt.timedelta(days=30)
    cast.branch_a.save()
    login(client, cast.committee)
    response = client.get(reverse("orgs:org_detail", args=[cast.branch_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="org-warnings"' in body
    assert re.search(r"[（(]1[人）)]", body)  # the count of full members is in the message (either language)
    assert cast.branch_a.term_end.isoformat() in body

    data = api_as(cast.committee).get(f"/orgs/{cast.branch_a.pk}").json()
    assert {w["code"] for w in data["warnings"]} == {"too_few", "term_ending"}
    assert all(w["message"] and w["level"] in {"red", "yellow"} for w in data["warnings"])


def test_the_tree_marks_orgs_that_need_attention(client, cast):
    login(client, cast.committee)
    body = client.get(reverse("orgs:tree")).content.decode()
    row = body.split(cast.branch_a.name)[1].split("</li>")[0]
    assert "tag-yellow" in row


# --- temporary branches (临时党支部) ------------------------------------------------------------


@pytest.fixture
def temporary(cast):
    """A project branch ending yesterday: member_a and member_b joined it as an extra membership;
    one member has it as their primary branch."""
    today = timezone.localdate()
    org = _branch(cast, "项目临时党支部", is_temporary=True, ends_on=today + dt.timedelta(days=30))
    for m in (cast.member_a, cast.member_b):
        membership_add_extra(member=m, org=org, acting_user=cast.committee, started_on=dt.date(2025, 1, 1))
    resident = make_member(org, name="王五")
    Org.objects.filter(pk=org.pk).update(ends_on=today - dt.timedelta(days=1))  # …and time passes
    org.refresh_from_db()
    return org, resident


def _open(member):
    return set(Membership.objects.filter(member=member, ended_on__isnull=True).values_list("org_id", "kind"))


def test_an_extra_membership_never_moves_the_primary_branch(cast):
    cloud = _branch(cast, "云端支部", is_cloud=True)
    ms = membership_add_extra(member=cast.member_b, org=cloud, acting_user=cast.committee)
    assert ms.kind == Membership.Kind.CLOUD
    cast.member_b.refresh_from_db()
    assert cast.member_b.org == cast.branch_b
    assert _open(cast.member_b) == {(cast.branch_b.pk, "primary"), (cloud.pk, "cloud")}
    assert membership_add_extra(member=cast.member_b, org=cloud, acting_user=cast.committee) == ms  # idempotent


def test_an_ordinary_branch_is_not_an_extra_membership(cast):
    with pytest.raises(DomainError):
        membership_add_extra(member=cast.member_b, org=cast.branch_a, acting_user=cast.committee)
    assert Membership.objects.filter(member=cast.member_b).count() == 1


def test_the_job_ends_extra_memberships_after_the_end_date(cast, temporary):
    org, resident = temporary
    expire_temporary_branches()  # the scheduled Huey task (immediate mode in tests)

    org.refresh_from_db()
    assert org.ended_at is not None
    today = timezone.localdate()
    ended = Membership.objects.filter(org=org, kind=Membership.Kind.TEMPORARY)
    assert ended.count() == 2
    assert all(ms.ended_on == today and ms.end_reason for ms in ended)
    # Primary memberships stay: the members' own branches, and the member whose branch it is.
    assert _open(cast.member_a) == {(cast.branch_a.pk, "primary")}
    assert _open(resident) == {(org.pk, "primary")}
    assert Member.objects.get(pk=cast.member_a.pk).org == cast.branch_a
    event = AuditEvent.objects.get(action="org.temporary_expired")
    assert event.target_id == str(org.pk) and event.after["memberships_ended"] == 2


def test_running_the_job_again_changes_nothing(cast, temporary):
    org, _ = temporary
    assert temporary_branches_expire() == 2
    org.refresh_from_db()
    first_end = org.ended_at
    snapshot = list(Membership.objects.order_by("pk").values())
    events = AuditEvent.objects.count()

    assert temporary_branches_expire() == 0
    org.refresh_from_db()
    assert org.ended_at == first_end
    assert list(Membership.objects.order_by("pk").values()) == snapshot
    assert AuditEvent.objects.count() == events


def test_a_branch_ending_today_is_left_alone(cast):
    org = _branch(cast, "今日结束支部", is_temporary=True, ends_on=timezone.localdate())
    membership_add_extra(member=cast.member_a, org=org, acting_user=cast.committee)
    assert temporary_branches_expire() == 0
    assert (org.pk, "temporary") in _open(cast.member_a)


def test_an_ended_branch_shows_as_ended_and_takes_no_one(client, cast, temporary):
    org, _ = temporary
    temporary_branches_expire()
    login(client, cast.committee)
    assert 'data-testid="org-ended"' in client.get(reverse("orgs:org_detail", args=[org.pk])).content.decode()
    tree = client.get(reverse("orgs:tree")).content.decode()
    assert 'data-testid="org-ended"' in tree.split(org.name)[1].split("</li>")[0]
    assert org.pk not in {w.org.pk for w in branch_warnings(Org.objects.all())}
    org.refresh_from_db()
    with pytest.raises(DomainError):
        membership_add_extra(member=cast.member_b, org=org, acting_user=cast.committee)
    assert not Membership.objects.filter(org=org, ended_on__isnull=True, kind=Membership.Kind.TEMPORARY).exists()


def test_no_one_joins_a_temporary_branch_past_its_end_date(cast):
    org = _branch(cast, "过期临时支部", is_temporary=True, ends_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(DomainError):
        membership_add_extra(member=cast.member_a, org=org, acting_user=cast.committee)
