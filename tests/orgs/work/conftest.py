"""Helpers for member-work tests: a committee admin of Company A, a branch with enough full members to vote,
and a walker that takes a development case through its steps with valid data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dangjian.accounts.models import OrgRole, User
from dangjian.orgs import development
from dangjian.orgs.models import Member, MemberStatus, Org
from dangjian.orgs.models_development import DevelopmentCase
from dangjian.orgs.timing import add_months

from ...factories import UserFactory, grant, make_member, make_org

TODAY = timezone.localdate


@pytest.fixture
def committee_a(cast) -> User:
    """The committee admin of Company A: the old side's committee for Branch A."""
    user = UserFactory(username="committee_a", name="甲组织部")
    grant(user, cast.company_a, OrgRole.Role.COMMITTEE_ADMIN)
    return user


@pytest.fixture
def voters(cast) -> list[Member]:
    """Branch A: member_a plus three more full members (4 voting members who should attend)."""
    return [cast.member_a, *[make_member(cast.branch_a, name=f"党员{i}") for i in range(3)]]


def applicant(org: Org, *, birth: dt.date = dt.date(1995, 5, 5), name: str = "王申请", **fields: Any) -> Member:
    return make_member(org, name=name, status=MemberStatus.APPLICANT, birth_date=birth, **fields)


def schedule(start: dt.date) -> dict[int, dt.date]:
    """A valid date for each step, counted from the application on ``start`` (30½ months in all)."""

    def d(months: int, days: int = 0) -> dt.date:
        return add_months(start, months) + dt.timedelta(days=days)

    return {
        1: d(0),
        2: d(0, 10),
        3: d(1),
        4: d(1, 5),
        5: d(2),
        6: d(6),
        7: d(13),
        8: d(13, 5),
        9: d(14),
        10: d(14, 10),
        11: d(15),
        12: d(15, 10),
        13: d(16),
        14: d(16, 5),
        15: d(17),
        16: d(17, 10),
        17: d(18),
        18: d(18, 5),
        19: d(18, 10),
        20: d(19),
        21: d(24),
        22: d(29),
        23: d(29, 10),
        24: d(30),
        25: d(30, 5),
    }


def step_payload(n: int, cast: Any, voters: list[Member]) -> dict[str, Any]:
    """The extra inputs step ``n`` needs to pass every hard rule."""
    if n == 5:
        return {"mentor_ids": [voters[1].pk, voters[2].pk]}
    if n == 9:
        return {"sponsor_ids": [voters[1].pk, voters[3].pk]}
    if n == 11:
        return {"class_hours": 24}
    if n in (12, 23):
        return {"notice_from": dt.date(2026, 6, 1), "notice_to": dt.date(2026, 6, 5)}
    if n == 15:
        return {"present": len(voters), "yes": len(voters), "no": 0, "abstain": 0}
    if n == 17 or n == 24:
        return {"approver_org": cast.company_a}
    return {}


class Walker:
    """Takes a case through its steps on the dates of ``schedule`` (or given ones), as the right people."""

    def __init__(self, cast: Any, voters: list[Member], approver: User) -> None:
        self.cast, self.voters, self.approver = cast, voters, approver
        self.user = cast.secretary_a

    def start(self, member: Member, on: dt.date) -> DevelopmentCase:
        self.dates = schedule(on)
        return development.development_start(member=member, application_date=on, acting_user=self.user)

    def step(self, case: DevelopmentCase, n: int, on: dt.date | None = None, **extra: Any) -> Any:
        user = self.approver if n in (17, 24) else self.user
        payload = {**step_payload(n, self.cast, self.voters), **extra}
        if n == 23 and "yes" not in payload:
            payload.update(present=len(self.voters), yes=len(self.voters), no=0, abstain=0)
        return development.development_record_step(
            case=case, number=n, done_on=on or self.dates[n], acting_user=user, **payload
        )

    def to(self, case: DevelopmentCase, last: int) -> DevelopmentCase:
        case.refresh_from_db()
        for n in range(case.current_step + 1, last + 1):
            self.step(case, n)
            case.refresh_from_db()
        return case


@pytest.fixture
def walker(cast, voters, committee_a) -> Walker:
    return Walker(cast, voters, committee_a)


@pytest.fixture
def general_branch(cast) -> Org:
    """A general branch under Company A with a branch of its own."""
    gb = make_org("甲公司机关党总支", Org.Kind.GENERAL_BRANCH, parent=cast.company_a)
    make_org("机关第一党支部", Org.Kind.BRANCH, parent=gb)
    return gb


__all__ = ["TODAY", "Walker", "applicant", "schedule"]
