"""The orgs screens render for the people who use them, and their forms save with an audit trail."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Org, OrgPost

from ..conftest import login


@pytest.mark.parametrize(
    ("who", "url_name", "arg"),
    [
        ("committee", "orgs:tree", None),
        ("committee", "orgs:org_detail", "company_a"),
        ("committee", "orgs:org_edit", "branch_a"),
        ("committee", "orgs:member_list", None),
        ("committee", "orgs:member_create", None),
        ("committee", "orgs:member_detail", "member_a"),
        ("committee", "orgs:member_edit", "member_a"),
        ("secretary_a", "orgs:tree", None),
        ("secretary_a", "orgs:org_detail", "group_a1"),
        ("secretary_a", "orgs:member_create", None),
        ("member_a_user", "orgs:tree", None),
        ("member_a_user", "orgs:org_detail", "branch_a"),
        ("member_a_user", "orgs:my_record", None),
        ("sysadmin", "orgs:org_edit", "group"),
    ],
)
def test_screen_renders(client, cast, who, url_name, arg):
    login(client, getattr(cast, who))
    response = client.get(reverse(url_name, args=[getattr(cast, arg).pk] if arg else []))
    assert response.status_code == 200, response.content[:300]


def test_the_create_form_offers_only_branches_in_scope(client, cast):
    login(client, cast.secretary_a)
    choices = {c.pk for c in client.get(reverse("orgs:member_create")).context["form"].fields["org"].queryset}
    assert choices == {cast.branch_a.pk, cast.group_a1.pk}
    login(client, cast.committee)
    choices = set(client.get(reverse("orgs:member_create")).context["form"].fields["org"].queryset)
    assert not any(o.kind == Org.Kind.COMMITTEE for o in choices)


def test_the_org_page_shows_committee_posts_and_counts(client, cast):
    OrgPost.objects.create(
        org=cast.branch_a, member=cast.member_a, post=OrgPost.Post.SECRETARY, started_on=dt.date(2024, 1, 1)
    )
    login(client, cast.committee)
    body = client.get(reverse("orgs:org_detail", args=[cast.branch_a.pk])).content.decode()
    assert "张三" in body
    assert f"?org={cast.branch_a.pk}&amp;status=full" in body or f"?org={cast.branch_a.pk}&status=full" in body


def test_editing_an_org_saves_and_is_audited(client, cast):
    login(client, cast.committee)
    response = client.post(
        reverse("orgs:org_edit", args=[cast.branch_a.pk]),
        {
            "name": "甲公司第一党支部",
            "unit": "甲公司生产部",
            "founded_on": "2001-07-01",
            "term_start": "2024-01-01",
            "term_end": "2026-12-31",
        },
    )
    assert response.status_code == 302
    org = Org.objects.get(pk=cast.branch_a.pk)
    assert (org.unit, org.founded_on, org.term_end) == ("甲公司生产部", dt.date(2001, 7, 1), dt.date(2026, 12, 31))
    event = AuditEvent.objects.get(action="org.update")
    assert event.before["unit"] == "" and event.after["unit"] == "甲公司生产部"


def test_the_member_record_shows_memberships_and_posts(client, cast):
    OrgPost.objects.create(
        org=cast.branch_a, member=cast.member_a, post=OrgPost.Post.PROPAGANDA, started_on=dt.date(2024, 1, 1)
    )
    login(client, cast.member_a_user)
    body = client.get(reverse("orgs:my_record")).content.decode()
    assert "甲公司第一党支部" in body
    assert str(OrgPost.Post.PROPAGANDA.label) in body or "宣传" in body
    assert "/edit/" not in body  # a member does not edit their own record here


def test_the_tree_nests_visible_orgs_even_across_unrelated_subtrees(client, cast):
    """GIVEN roles at Company A's committee and at Branch B (not contiguous in the tree)
    THEN the tree is well-formed nested markup with each visible org once and subtree counts."""
    from dangjian.accounts.models import OrgRole

    from ..factories import UserFactory, grant, make_member

    user = UserFactory(username="two_hats")
    grant(user, cast.company_a, OrgRole.Role.COMMITTEE_ADMIN)
    grant(user, cast.branch_b, OrgRole.Role.SECRETARY)
    make_member(cast.group_a1)
    login(client, user)
    response = client.get(reverse("orgs:tree"))
    body = response.content.decode()
    tree = body[body.index('data-testid="org-tree"') :]
    tree = tree[: tree.index("</div>")]
    assert tree.count("<details") == tree.count("</details>") == 2  # company A and branch A have children
    assert tree.count("<ul>") == tree.count("</ul>") - 1 == 2  # two nested lists, then the tree's own end
    for org in (cast.company_a, cast.branch_a, cast.group_a1, cast.branch_b):
        assert tree.count(f'href="/orgs/{org.pk}/"') == 1
    assert f'href="/orgs/{cast.company_b.pk}/"' not in tree
    counts = {o.pk: o.member_count for o in response.context["rows"]}
    assert counts == {cast.company_a.pk: 2, cast.branch_a.pk: 2, cast.group_a1.pk: 1, cast.branch_b.pk: 1}
