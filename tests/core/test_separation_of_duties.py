"""三员分立: the system, security and audit administrators each see their own screens and nothing else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import User
from tests.conftest import login
from tests.factories import UserFactory

AUDIT, USERS, TREE, MEMBER = "core:audit_list", "accounts:user_admin", "orgs:tree", "orgs:member_detail"


@pytest.fixture
def admins(cast):
    enrolled = {"totp_secret": "JBSWY3DPEHPK3PXP", "totp_confirmed_at": timezone.now()}
    return {
        "system": cast.sysadmin,
        "security": UserFactory(username="secadmin", admin_role=User.AdminRole.SECURITY, **enrolled),
        "auditor": cast.auditor,
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True, **enrolled),
    }


def _url(name, cast):
    return reverse(name, args=[cast.member_b.pk]) if name == MEMBER else reverse(name)


@pytest.mark.parametrize(
    "who,screen,status",
    [
        ("auditor", AUDIT, 200),
        ("auditor", USERS, 404),
        ("auditor", TREE, 404),
        ("auditor", MEMBER, 404),
        ("security", USERS, 200),
        ("security", AUDIT, 404),
        ("security", TREE, 404),
        ("security", MEMBER, 404),
        ("system", USERS, 200),
        ("system", TREE, 200),
        ("system", MEMBER, 200),
        ("system", AUDIT, 404),
        ("superuser", AUDIT, 404),
    ],
)
def test_each_administrator_sees_only_their_screens(client, cast, admins, who, screen, status):
    login(client, admins[who])
    assert client.get(_url(screen, cast)).status_code == status


def test_the_auditor_and_security_admin_see_no_member_through_the_api(client, cast, admins):
    for who in ("auditor", "security"):
        login(client, admins[who])
        assert client.get("/api/v1/members").json()["count"] == 0
        assert client.get(f"/api/v1/members/{cast.member_a.pk}").status_code == 404


def test_the_system_admin_sees_every_org(client, cast, admins):
    login(client, admins["system"])
    body = client.get(reverse(TREE)).content.decode()
    assert all(org.name in body for org in (cast.group, cast.branch_a, cast.branch_b, cast.group_a1))


@pytest.mark.parametrize("who", ["system", "security", "auditor", "superuser"])
def test_navigation_offers_exactly_the_screens_that_open(client, cast, admins, who):
    """GIVEN an administrator WHEN the menu is drawn THEN the audit log and user admin appear in it
    if and only if the screen answers 200 for them."""
    login(client, admins[who])
    nav = {item["url"] for item in client.get(reverse("core:workbench")).context["nav_items"]}
    for screen in (AUDIT, USERS, TREE):
        opens = client.get(reverse(screen)).status_code == 200
        assert (reverse(screen) in nav) == opens, screen


def test_a_member_sees_neither_admin_screen(client, cast):
    login(client, cast.member_a_user)
    assert client.get(reverse(AUDIT)).status_code == 404
    assert client.get(reverse(USERS)).status_code == 404
    nav = {item["url"] for item in client.get(reverse("core:workbench")).context["nav_items"]}
    assert not nav & {reverse(AUDIT), reverse(USERS)}


def test_the_auditor_cannot_unlock_or_reset_2fa(client, cast, admins):
    login(client, admins["auditor"])
    assert client.post(reverse("accounts:user_unlock", args=[cast.sysadmin.pk])).status_code == 404
    assert client.post(reverse("accounts:user_reset_2fa", args=[cast.sysadmin.pk])).status_code == 404
    cast.sysadmin.refresh_from_db()
    assert cast.sysadmin.has_2fa
