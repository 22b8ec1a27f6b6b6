"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

The live server runs in another thread, so the data must be committed: every fixture here builds on
`transactional_db`, never on `db`. A missing Chromium fails the tests with a clear message (never a skip).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in the test thread; Django's ORM refuses to run in a thread
# with a running loop unless told otherwise. Set before any test touches the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from dangjian.accounts.models import OrgRole, User
from dangjian.orgs.models import Member, Org

from ..browser import CHROMIUM_ARGS, chromium_path  # noqa: F401  (browser and new_page come from tests/conftest.py)
from ..factories import PASSWORD, UserFactory, grant, make_member, make_org

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
ID_NUMBER = "11010519491231002X"


@dataclass
class E2ECast:
    group: Org
    company_a: Org
    branch_a: Org
    branch_b: Org
    committee: User
    member_user: User
    member_a: Member
    member_b: Member
    password: str


@pytest.fixture
def e2e_cast(transactional_db: Any, django_db_serialized_rollback: Any) -> E2ECast:
    """A small committed dataset: a group committee, two companies, a branch under each, a member each.

    Serialized rollback puts back what the migrations inserted (e.g. the default dues rules) before the
    test, since the flush after every transactional test empties all tables."""
    group = make_org("集团党委", Org.Kind.COMMITTEE)
    company_a = make_org("甲公司党委", Org.Kind.COMMITTEE, parent=group)
    company_b = make_org("乙公司党委", Org.Kind.COMMITTEE, parent=group)
    branch_a = make_org("甲公司第一党支部", Org.Kind.BRANCH, parent=company_a)
    make_org("第一党小组", Org.Kind.GROUP, parent=branch_a)
    branch_b = make_org("乙公司第一党支部", Org.Kind.BRANCH, parent=company_b)
    committee = UserFactory(username="committee", name="组织部")
    member_user = UserFactory(username="member_a", name="张三")
    grant(committee, group, OrgRole.Role.COMMITTEE_ADMIN)
    member_a = make_member(branch_a, name="张三", user=member_user, id_number=ID_NUMBER, phone="13812345678")
    member_b = make_member(branch_b, name="李四", phone="13987654321")
    return E2ECast(group, company_a, branch_a, branch_b, committee, member_user, member_a, member_b, PASSWORD)


def log_in(page: Any, username: str, password: str) -> None:
    """Fill the real login form and submit it."""
    page.goto("/accounts/login/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", password)
    page.click(".login-box button[type=submit]")


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0
    return path
