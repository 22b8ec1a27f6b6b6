"""The fixed cast of the test suite.

Group committee (root) ── Company A committee ── Branch A ── Group A1
                       └─ Company B committee ── Branch B
`committee` administers the whole group; `secretary_a` / `secretary_b` their branches;
`member_a` is a full member of Branch A with a login; `outsider` holds no role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from dangjian.accounts.models import OrgRole, User
from dangjian.orgs.models import Member, Org

from .browser import browser, new_page  # noqa: F401  (the session's one Chromium, for every browser test)
from .factories import PASSWORD, UserFactory, grant, make_member, make_org


@pytest.fixture(autouse=True)
def _fresh_exam_caches():
    """Each test rolls its rows back, and SQLite then hands the same ids to new rows: the per-process caches of
    question versions and of what papers draw from (valid in production, where a version in use never changes,
    a change to a bank or paper makes a new key and ids are never reused) start empty."""
    from dangjian.exams.attempts import _VERSIONS
    from dangjian.exams.papers import _DRAWS

    _VERSIONS.clear()
    _DRAWS.clear()


@dataclass
class Cast:
    group: Org
    company_a: Org
    company_b: Org
    branch_a: Org
    group_a1: Org
    branch_b: Org
    committee: User
    secretary_a: User
    secretary_b: User
    member_a_user: User
    member_a: Member
    member_b: Member
    outsider: User
    sysadmin: User
    auditor: User


@pytest.fixture
def cast(db: Any) -> Cast:
    group = make_org("集团党委", Org.Kind.COMMITTEE)
    company_a = make_org("甲公司党委", Org.Kind.COMMITTEE, parent=group)
    company_b = make_org("乙公司党委", Org.Kind.COMMITTEE, parent=group)
    branch_a = make_org("甲公司第一党支部", Org.Kind.BRANCH, parent=company_a)
    group_a1 = make_org("第一党小组", Org.Kind.GROUP, parent=branch_a)
    branch_b = make_org("乙公司第一党支部", Org.Kind.BRANCH, parent=company_b)
    committee = UserFactory(username="committee", name="组织部")
    secretary_a = UserFactory(username="secretary_a", name="甲书记")
    secretary_b = UserFactory(username="secretary_b", name="乙书记")
    member_a_user = UserFactory(username="member_a", name="张三")
    outsider = UserFactory(username="outsider", name="路人")
    enrolled = {"totp_secret": pyotp.random_base32(), "totp_confirmed_at": timezone.now()}
    sysadmin = UserFactory(username="sysadmin", admin_role=User.AdminRole.SYSTEM, is_staff=True, **enrolled)
    auditor = UserFactory(username="auditor", admin_role=User.AdminRole.AUDITOR, **enrolled)
    grant(committee, group, OrgRole.Role.COMMITTEE_ADMIN)
    grant(secretary_a, branch_a, OrgRole.Role.SECRETARY)
    grant(secretary_b, branch_b, OrgRole.Role.SECRETARY)
    member_a = make_member(
        branch_a, name="张三", user=member_a_user, id_number="11010519491231002X", phone="13812345678"
    )
    member_b = make_member(branch_b, name="李四", phone="13987654321")
    return Cast(
        group,
        company_a,
        company_b,
        branch_a,
        group_a1,
        branch_b,
        committee,
        secretary_a,
        secretary_b,
        member_a_user,
        member_a,
        member_b,
        outsider,
        sysadmin,
        auditor,
    )


def login(client: Client, user: User) -> Client:
    """Log a user in as the web would after both factors (2FA is tested on its own)."""
    client.force_login(user, backend="dangjian.accounts.backends.MultiIdentifierBackend")
    return client


@pytest.fixture
def password() -> str:
    return PASSWORD
