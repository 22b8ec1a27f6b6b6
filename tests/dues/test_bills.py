"""The monthly bill run, rule versions, re-basing, reductions and arrears."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from dangjian.dues import services
from dangjian.dues.models import DuesBill, DuesReduction
from dangjian.dues.rules import DEFAULT_RULES
from dangjian.orgs.models import MemberStatus

from ..factories import make_member


def test_bill_run_is_idempotent(based, may):
    assert services.bills_generate(period=may) == 2
    assert services.bills_generate(period=may) == 0
    assert DuesBill.objects.filter(period=may).count() == 2
    bill = DuesBill.objects.get(member=based.member_a, period=may)
    assert bill.amount == Decimal("45.00")
    assert bill.org_path == based.branch_a.path


def test_members_without_base_get_no_bill_and_are_counted(based, may):
    make_member(based.branch_a, name="王五")
    services.bills_generate(period=may)
    assert services.members_missing_base(period=may, org_path=based.branch_a.path) == 1


def test_probationary_member_pays_from_admission_month(based):
    m = make_member(
        based.branch_a, name="赵六", status=MemberStatus.PROBATIONARY, probationary_date=dt.date(2026, 6, 30)
    )
    services.base_set(
        member=m,
        year=2026,
        from_month=1,
        category="in_service",
        base_amount=Decimal("3000"),
        acting_user=based.secretary_a,
    )
    services.bills_generate(period=dt.date(2026, 5, 1))
    assert not DuesBill.objects.filter(member=m).exists()
    services.bills_generate(period=dt.date(2026, 6, 1))
    assert DuesBill.objects.get(member=m).period == dt.date(2026, 6, 1)


def test_applicants_and_removed_members_are_not_billed(based, may):
    for status in (MemberStatus.APPLICANT, MemberStatus.ACTIVIST, MemberStatus.REMOVED, MemberStatus.DECEASED):
        m = make_member(based.branch_a, status=status)
        services.base_set(
            member=m, year=2026, from_month=1, category="student", base_amount=None, acting_user=based.secretary_a
        )
    assert services.bills_generate(period=may) == 2


def test_rule_change_does_not_touch_issued_bills(based, may):
    """GIVEN bills issued under the 2008 rules WHEN a new version with other rates takes effect THEN they keep their amounts."""
    services.bills_generate(period=may)
    rules = {
        **DEFAULT_RULES,
        "brackets": {
            **DEFAULT_RULES["brackets"],
            "in_service": [["3000.00", "0.004"], ["5000.00", "0.008"], ["10000.00", "0.012"], [None, "0.016"]],
        },
    }
    services.ruleset_create(
        name="2026 修订", effective_from=dt.date(2026, 6, 1), rules=rules, acting_user=based.sysadmin
    )
    assert DuesBill.objects.get(member=based.member_a, period=may).amount == Decimal("45.00")
    # The base fixed at the start of the year still applies in June: rates change with the next base.
    services.bills_generate(period=dt.date(2026, 6, 1))
    assert DuesBill.objects.get(member=based.member_a, period=dt.date(2026, 6, 1)).amount == Decimal("45.00")
    rebased = services.base_set(
        member=based.member_a,
        year=2026,
        from_month=7,
        category="in_service",
        base_amount=Decimal("4500"),
        acting_user=based.secretary_a,
    )
    assert rebased.monthly_amount == Decimal("36.00")
    assert rebased.rule_set.name == "2026 修订"


def test_only_system_admin_changes_rules_and_bad_rules_are_refused(based):
    from dangjian.core.errors import DomainError

    with pytest.raises(DomainError):
        services.ruleset_create(
            name="x", effective_from=dt.date(2027, 1, 1), rules=DEFAULT_RULES, acting_user=based.committee
        )
    bad = {**DEFAULT_RULES, "fixed": {**DEFAULT_RULES["fixed"], "farmer": "1.50"}}
    with pytest.raises(DomainError) as exc:
        services.ruleset_create(name="x", effective_from=dt.date(2027, 1, 1), rules=bad, acting_user=based.sysadmin)
    assert exc.value.errors[0]["field"] == "fixed.farmer"


def test_mid_year_rebase_reprices_unpaid_bills_from_that_month(based):
    for month in (3, 4, 5):
        services.bills_generate(period=dt.date(2026, month, 1))
    services.base_set(
        member=based.member_a,
        year=2026,
        from_month=4,
        category="in_service",
        base_amount=Decimal("6000"),
        acting_user=based.secretary_a,
    )
    amounts = {b.period.month: b.amount for b in based.member_a.dues_bills.all()}
    assert amounts == {3: Decimal("45.00"), 4: Decimal("90.00"), 5: Decimal("90.00")}


def test_reduction_needs_next_level_approval(based, may):
    r = services.reduction_propose(
        member=based.member_a,
        first_month=may,
        last_month=dt.date(2026, 7, 1),
        monthly_amount=Decimal("0"),
        reason="重病住院",
        decided_on=dt.date(2026, 4, 20),
        acting_user=based.secretary_a,
    )
    services.bills_generate(period=may)
    assert DuesBill.objects.get(member=based.member_a, period=may).status == DuesBill.Status.UNPAID  # not yet approved
    from django.http import Http404

    from dangjian.core.errors import DomainError

    with pytest.raises((DomainError, Http404)):
        services.reduction_decide(
            reduction=r, approve=True, acting_user=based.secretary_a
        )  # a branch cannot approve itself
    services.reduction_decide(reduction=r, approve=True, acting_user=based.committee)
    assert DuesBill.objects.get(member=based.member_a, period=may).status == DuesBill.Status.EXEMPTED
    services.bills_generate(period=dt.date(2026, 6, 1))
    june = DuesBill.objects.get(member=based.member_a, period=dt.date(2026, 6, 1))
    assert (june.status, june.amount) == (DuesBill.Status.EXEMPTED, Decimal("0.00"))
    r.refresh_from_db()
    assert (
        r.state == DuesReduction.State.APPROVED
        and r.approved_by == based.committee
        and r.branch_decided_by == based.secretary_a
    )


def test_arrears_count_consecutive_months_across_year_end(based):
    services.base_set(
        member=based.member_a,
        year=2025,
        from_month=1,
        category="in_service",
        base_amount=Decimal("4500"),
        acting_user=based.secretary_a,
    )
    for period in (
        dt.date(2025, 10, 1),
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ):
        services.bills_generate(period=period, org_path=based.branch_a.path)
    oct_bill = DuesBill.objects.get(member=based.member_a, period=dt.date(2025, 10, 1))
    services.payment_record(
        member=based.member_a,
        bills=[oct_bill],
        method="cash",
        paid_on=dt.date(2026, 2, 10),
        acting_user=based.secretary_a,
    )
    rows = services.arrears_counts(as_of=dt.date(2026, 2, 15))
    assert rows == [{"member_id": based.member_a.pk, "months": 4, "since": dt.date(2025, 11, 1)}]


def test_arrears_alerts_go_to_the_right_people_once(based):
    from dangjian.notices.models import Notification

    services.base_set(
        member=based.member_a,
        year=2025,
        from_month=1,
        category="in_service",
        base_amount=Decimal("4500"),
        acting_user=based.secretary_a,
    )
    for m in range(1, 4):
        services.bills_generate(period=dt.date(2026, m, 1), org_path=based.branch_a.path)
    sent = services.arrears_alert(as_of=dt.date(2026, 3, 5))
    assert sent == {3: 1}
    assert Notification.objects.filter(recipient=based.secretary_a, kind="dues.arrears.3").count() == 1
    assert services.arrears_alert(as_of=dt.date(2026, 3, 20)) == {}
    assert Notification.objects.filter(kind__startswith="dues.arrears").count() == 1


def test_generate_command_runs_for_a_month(based, capsys):
    call_command("dues_generate_bills", "--period", "2026-05")
    assert DuesBill.objects.filter(period=dt.date(2026, 5, 1)).count() == 2
