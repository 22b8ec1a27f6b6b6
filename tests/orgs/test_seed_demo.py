"""seed_demo: deterministic, consistent, with working demo accounts (small N; speed is measured by `make bench`)."""

from __future__ import annotations

import datetime as dt
import importlib.machinery
import io
import sys
import types
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import OrgRole, User
from dangjian.accounts.services import user_authenticate
from dangjian.analytics.models import Fact
from dangjian.core.scoping import members_visible_to, orgs_visible_to
from dangjian.notices.models import Notification
from dangjian.orgs.demo import DEMO_PASSWORD, DEMO_USERNAMES
from dangjian.orgs.demo.names import cn_number
from dangjian.orgs.demo.plan import build_plan
from dangjian.orgs.forms import id_number_valid
from dangjian.orgs.models import Member, Membership, MemberStatus, Org, OrgPost, StatusChange
from dangjian.orgs.selectors import branch_warnings

N = 300
TODAY = dt.date.today()


def seed(members: int = N, seed: int = 7, *extra: str, core_only: bool = True) -> str:
    """seed_demo at a small N; the other apps' demo hooks only where a test is about them (speed)."""
    out = io.StringIO()
    call_command(
        "seed_demo",
        "--members",
        str(members),
        "--seed",
        str(seed),
        "--today",
        TODAY.isoformat(),
        "--no-progress",
        *(["--core-only"] if core_only else []),
        *extra,
        stdout=out,
    )
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    return {
        "orgs": list(
            Org.objects.order_by("path").values_list("path", "name", "kind", "term_end", "is_cloud", "is_temporary")
        ),
        "members": list(
            Member.objects.order_by("employee_no").values_list(
                "employee_no",
                "name",
                "name_pinyin",
                "org_path",
                "status",
                "birth_date",
                "gender",
                "full_date",
                "department",
            )
        ),
        "id_numbers": sorted(m.id_number for m in Member.objects.only("id_number")),
        "history": Counter(StatusChange.objects.values_list("to_status", "effective_on")),
        "facts": Fact.objects.count(),
        "posts": sorted(OrgPost.objects.values_list("org__path", "post", "member__employee_no")),
        "users": sorted(User.objects.values_list("username", "name")),
    }


class _Rollback(Exception):
    pass


@pytest.fixture
def seeded(db: Any) -> None:
    seed()


def test_same_seed_same_data(db: Any) -> None:
    with pytest.raises(_Rollback), transaction.atomic():
        seed(N, 7)
        first = snapshot()
        raise _Rollback
    with pytest.raises(_Rollback), transaction.atomic():
        seed(N, 8)
        other = snapshot()
        raise _Rollback
    assert not Org.objects.exists()
    seed(N, 7)
    second = snapshot()
    assert len(first["members"]) == N
    assert first == second
    assert other["members"] != first["members"]


def test_demo_accounts_log_in_and_have_work(seeded: None) -> None:
    users = {u: user_authenticate(identifier=u, password=DEMO_PASSWORD) for u in DEMO_USERNAMES}
    assert all(not u.must_change_password for u in users.values())
    admin = users["admin"]
    assert admin.admin_role == User.AdminRole.SYSTEM and admin.is_staff and not admin.is_superuser
    assert users["security"].admin_role == User.AdminRole.SECURITY
    assert users["auditor"].admin_role == User.AdminRole.AUDITOR
    root = Org.objects.get(depth=1)
    assert OrgRole.objects.filter(user=users["committee"], org=root, role=OrgRole.Role.COMMITTEE_ADMIN).exists()
    employee = users["employee"]
    assert employee.employee_no and not Member.objects.filter(user=employee).exists()
    for user in users.values():
        assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() >= 2, user.username
    # Employee numbers log in too.
    member_user = users["member"]
    assert user_authenticate(identifier=member_user.employee_no, password=DEMO_PASSWORD) == member_user


def test_secretary_and_member_share_a_branch_in_scope(seeded: None) -> None:
    secretary = User.objects.get(username="secretary")
    member_user = User.objects.get(username="member")
    role = OrgRole.objects.get(user=secretary, role=OrgRole.Role.SECRETARY)
    branch = role.org
    assert branch.kind == Org.Kind.BRANCH and not (branch.is_cloud or branch.is_temporary)
    size = Member.objects.filter(org=branch).count()
    assert 20 <= size <= 40
    assert secretary.member.org == branch
    assert OrgPost.objects.filter(org=branch, member=secretary.member, post=OrgPost.Post.SECRETARY).exists()
    assert member_user.member.org == branch and member_user.member.status == MemberStatus.FULL
    visible = members_visible_to(secretary)
    assert visible.filter(org=branch).count() == size
    assert visible.filter(pk=member_user.member.pk).exists()
    assert not visible.exclude(org_path__startswith=branch.path).exclude(user=secretary).exists()
    # The workbench has a deadline: the branch's term ends within six months.
    codes = {w.code for w in branch_warnings(orgs_visible_to(secretary)) if w.org == branch}
    assert "term_ending" in codes


def test_shape_of_the_enterprise(seeded: None) -> None:
    root = Org.objects.get(depth=1)
    assert root.kind == Org.Kind.COMMITTEE and root.name.endswith("集团有限公司党委")
    subsidiaries = Org.objects.filter(depth=2, kind=Org.Kind.COMMITTEE)
    assert 3 <= subsidiaries.count() <= 5
    assert Org.objects.filter(kind=Org.Kind.GROUP).exists()
    cloud = Org.objects.get(is_cloud=True)
    temporary = Org.objects.get(is_temporary=True)
    assert temporary.ends_on > TODAY
    assert Membership.objects.filter(org=temporary, kind=Membership.Kind.TEMPORARY).exists()
    assert not Member.objects.filter(org__kind=Org.Kind.COMMITTEE).exists()
    codes = {w.code for w in branch_warnings(Org.objects.all(), TODAY)}
    assert {"too_few", "too_many", "term_ending"} <= codes
    assert (
        Membership.objects.filter(org=cloud, kind=Membership.Kind.CLOUD).count()
        == Member.objects.filter(is_mobile=True).count()
    )
    for node in Org.objects.all():  # treebeard bookkeeping is consistent
        assert node.numchild == Org.objects.filter(path__startswith=node.path, depth=node.depth + 1).count()


def test_statuses_dates_and_identity_are_consistent(seeded: None) -> None:
    members = list(Member.objects.select_related("org"))
    assert len(members) == N
    statuses = Counter(m.status for m in members)
    assert statuses[MemberStatus.FULL] / N > 0.75
    assert statuses[MemberStatus.PROBATIONARY] and statuses[MemberStatus.ACTIVIST] and statuses[MemberStatus.APPLICANT]
    history = Counter(StatusChange.objects.values_list("member_id", flat=True))
    primaries = Counter(Membership.objects.filter(kind=Membership.Kind.PRIMARY).values_list("member_id", flat=True))
    for m in members:
        assert m.age >= 18, m
        assert dt.date(1960, 1, 1) <= m.birth_date <= dt.date(2003, 12, 31)
        assert id_number_valid(m.id_number) and m.id_number[6:14] == f"{m.birth_date:%Y%m%d}"
        assert m.phone[0] == "1" and m.phone[1] in "3456789" and len(m.phone) == 11
        assert m.org_path == m.org.path and m.name_pinyin and m.name_initials
        dates = [
            d for d in (m.application_date, m.activist_date, m.candidate_date, m.probationary_date, m.full_date) if d
        ]
        assert dates == sorted(dates) and len(set(dates)) == len(dates), m
        assert dates and dates[0] >= dt.date(m.birth_date.year + 18, m.birth_date.month, min(m.birth_date.day, 28))
        assert dates[-1] <= TODAY
        if m.status in (MemberStatus.FULL, MemberStatus.SUSPENDED, MemberStatus.DECEASED, MemberStatus.REMOVED):
            assert (
                m.full_date and m.probationary_date and m.full_date >= m.probationary_date + dt.timedelta(days=365)
            ), m
        if m.status == MemberStatus.PROBATIONARY:
            assert m.probationary_date and not m.full_date
        if m.activist_date and m.candidate_date:
            assert (m.candidate_date - m.activist_date).days >= 365  # a year as activist first
        terminal = m.status in (
            MemberStatus.SUSPENDED,
            MemberStatus.DECEASED,
            MemberStatus.REMOVED,
            MemberStatus.TRANSFERRED_OUT,
        )
        assert history[m.pk] == len(dates) + (1 if terminal else 0)
        assert primaries[m.pk] == 1
    assert len({m.employee_no for m in members}) == N
    assert len({m.id_number for m in members}) == N


def test_if_empty_does_nothing_on_a_second_run(db: Any) -> None:
    seed()
    before = (Org.objects.count(), Member.objects.count(), User.objects.count(), Fact.objects.count())
    out = seed(N, 7, "--if-empty")
    assert "nothing to do" in out
    assert (Org.objects.count(), Member.objects.count(), User.objects.count(), Fact.objects.count()) == before
    with pytest.raises(CommandError):
        seed()


def test_plan_at_scale_is_well_formed() -> None:
    """The org plan for a big enterprise, without touching the database."""
    n = 120_000
    plan = build_plan(members=n, seed=3, today=TODAY)
    branches = [o for o in plan if o.kind == "branch" and o.size]
    assert sum(o.size for o in branches) == n
    assert len({o.path for o in plan}) == len(plan)
    assert all(len(o.path) == 4 * o.depth for o in plan)
    assert max(o.size for o in branches) <= 80
    assert any(o.kind == "general_branch" for o in plan)
    assert any(o.kind == "committee" and o.depth == 3 for o in plan)  # units under the subsidiaries
    assert cn_number(1) == "一" and cn_number(12) == "十二" and cn_number(20) == "二十" and cn_number(105) == "一百零五"


def test_other_apps_add_their_demo_year_through_a_hook(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An app's ``demo_data.seed_demo(ctx)`` runs after the core, with the demo accounts and the member ids."""
    calls: list[Any] = []

    def seed_demo(ctx: Any) -> None:
        calls.append(ctx)
        member = User.objects.get(username="member").member
        ctx.writer.insert(
            Fact,
            ["member_id", "org_id", "org_path", "kind", "quantity", "occurred_at", "source_type", "source_id"],
            [(member.pk, member.org_id, member.org_path, "demo.hook", 1, timezone.now(), "demo", "")],
        )

    name = "dangjian.analytics.demo_data"
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.seed_demo = seed_demo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    seed(core_only=False)
    assert len(calls) == 1
    ctx = calls[0]
    assert set(ctx.users) == set(DEMO_USERNAMES)
    assert (
        ctx.last_member_id - ctx.first_member_id + 1
        == N
        == Member.objects.filter(pk__range=(ctx.first_member_id, ctx.last_member_id)).count()
    )
    assert Fact.objects.filter(kind="demo.hook").count() == 1
    assert ctx.rng("x").random() == ctx.rng("x").random()
