"""Helpers for the orgs tests: valid ID numbers, bulk members, an API client with a bearer token."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from django.test import Client

from dangjian.accounts.models import OrgRole, User
from dangjian.accounts.services import api_token_issue
from dangjian.core.models import AuditEvent
from dangjian.orgs.forms import ID_CHECK, ID_WEIGHTS
from dangjian.orgs.models import Member, Membership, MemberStatus, Org

from ..factories import UserFactory, grant

_ids = itertools.count(1)


def valid_id(birth: str = "19850101", area: str = "110105") -> str:
    """A mainland ID number with a correct GB 11643 check digit, different on every call."""
    body = f"{area}{birth}{next(_ids) % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def bad_check_digit(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


_empno = itertools.count(1)


def bulk_members(org: Org, n: int, status: str = MemberStatus.FULL, **fields: Any) -> list[Member]:
    """``n`` members in ``org`` in two INSERTs (members and their primary memberships)."""
    members = []
    for _ in range(n):
        i = next(_empno)
        m = Member(
            org=org,
            status=status,
            name=f"成员{i}",
            gender=Member.Gender.FEMALE,
            birth_date=dt.date(1990, 1, 1),
            employee_no=f"B{i:07d}",
            **fields,
        )
        m.compute_derived()
        members.append(m)
    Member.objects.bulk_create(members)
    Membership.objects.bulk_create(
        [Membership(member=m, org=org, kind=Membership.Kind.PRIMARY, started_on=dt.date(2020, 1, 1)) for m in members]
    )
    return members


class ApiClient:
    """The Django test client speaking JSON to /api/v1 with ``Authorization: Bearer``."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.headers = {}
        if user is not None:
            self.headers["Authorization"] = f"Bearer {api_token_issue(user=user, name='test').plaintext}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(f"/api/v1{path}", params or {}, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api_as():
    """``api_as(user)`` → an ApiClient holding a fresh token of that user (``None`` for no credentials)."""
    return ApiClient


@pytest.fixture
def affairs_worker_a(cast) -> User:
    """A Party-affairs worker of Branch A: may view and edit records, may not reveal clear values."""
    user = UserFactory(username="worker_a", name="甲干事")
    grant(user, cast.branch_a, OrgRole.Role.AFFAIRS_WORKER)
    return user


@pytest.fixture
def committee_b(cast) -> User:
    """The committee admin of Company B only."""
    user = UserFactory(username="committee_b", name="乙组织部")
    grant(user, cast.company_b, OrgRole.Role.COMMITTEE_ADMIN)
    return user


def audit_text() -> str:
    """Every audit row's readable content as one string, to look for values that must not be there."""
    rows = AuditEvent.objects.values_list("action", "target_repr", "before", "after")
    return "\n".join(json.dumps(list(r), ensure_ascii=False, default=str) for r in rows)


def assert_api_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """A 4xx answer in the contract's shape, naming ``field`` when given."""
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert field in fields, body
        assert all(e["message"] for e in body["errors"]), body
    return body
