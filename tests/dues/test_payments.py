"""Payments: consent for several months, back-payment limit, voluntary dues, receipts, facts, scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.dues import services
from dangjian.dues.models import DuesBill, DuesPayment
from dangjian.dues.periods import add_months, month_start

from ..conftest import login


@pytest.fixture
def billed(based):
    """Bills for the last 8 months (this month included) for member_a and member_b."""
    this = month_start(timezone.localdate())
    for i in range(7, -1, -1):
        services.bills_generate(period=add_months(this, -i))
    return based


def _bills(member, n_back):
    this = month_start(timezone.localdate())
    return [DuesBill.objects.get(member=member, period=add_months(this, -i)) for i in n_back]


def test_one_month_cash_payment_marks_the_bill_and_records_the_fact(billed):
    [bill] = _bills(billed.member_a, [0])
    p = services.payment_record(
        member=billed.member_a,
        bills=[bill],
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
    )
    bill.refresh_from_db()
    assert bill.status == DuesBill.Status.PAID and bill.payment == p
    assert p.receipt_no.startswith("R") and p.dues_amount == Decimal("45.00")
    assert Fact.objects.filter(member_id=billed.member_a.pk, kind=FactKind.DUES_PAID_ON_TIME).count() == 1
    assert AuditEvent.objects.filter(action="dues.payment", target_id=str(billed.member_a.pk)).exists()


def test_late_payment_is_not_on_time(billed):
    [bill] = _bills(billed.member_a, [2])
    services.payment_record(
        member=billed.member_a,
        bills=[bill],
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
    )
    assert not Fact.objects.filter(kind=FactKind.DUES_PAID_ON_TIME).exists()


def test_several_months_need_branch_consent(billed):
    bills = _bills(billed.member_a, [1, 0])
    with pytest.raises(DomainError) as exc:
        services.payment_record(
            member=billed.member_a,
            bills=bills,
            method="cash",
            paid_on=timezone.localdate(),
            acting_user=billed.secretary_a,
        )
    assert exc.value.errors[0]["field"] == "branch_consent"
    assert not DuesPayment.objects.exists()
    p = services.payment_record(
        member=billed.member_a,
        bills=bills,
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
        branch_consent=True,
    )
    assert p.dues_amount == Decimal("90.00")


def test_payment_by_someone_else_needs_consent(billed):
    [bill] = _bills(billed.member_a, [0])
    with pytest.raises(DomainError):
        services.payment_record(
            member=billed.member_a,
            bills=[bill],
            method="cash",
            paid_on=timezone.localdate(),
            acting_user=billed.secretary_a,
            paid_by_other="配偶",
        )


def test_back_payment_covers_at_most_six_months(billed):
    six, seven = _bills(billed.member_a, [6]), _bills(billed.member_a, [7])
    services.payment_record(
        member=billed.member_a, bills=six, method="cash", paid_on=timezone.localdate(), acting_user=billed.secretary_a
    )
    with pytest.raises(DomainError) as exc:
        services.payment_record(
            member=billed.member_a,
            bills=seven,
            method="cash",
            paid_on=timezone.localdate(),
            acting_user=billed.secretary_a,
        )
    assert "6" in exc.value.message
    assert DuesBill.objects.get(pk=seven[0].pk).status == DuesBill.Status.UNPAID


def test_voluntary_dues_of_1000_or_more_are_flagged(billed):
    p1 = services.payment_record(
        member=billed.member_a,
        bills=[],
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
        voluntary_amount=Decimal("999.99"),
    )
    p2 = services.payment_record(
        member=billed.member_a,
        bills=[],
        method="bank",
        external_ref="B123",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
        voluntary_amount=Decimal("1000.00"),
    )
    assert (p1.forward_to_centre, p2.forward_to_centre) == (False, True)


def test_paying_twice_is_refused(billed):
    [bill] = _bills(billed.member_a, [0])
    services.payment_record(
        member=billed.member_a,
        bills=[bill],
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
    )
    with pytest.raises(DomainError):
        services.payment_record(
            member=billed.member_a,
            bills=[bill],
            method="cash",
            paid_on=timezone.localdate(),
            acting_user=billed.secretary_a,
        )
    assert DuesPayment.objects.count() == 1


def test_transfer_hook_checks_dues_paid_up_to_the_month(billed):
    assert not services.dues_paid_up_to(member=billed.member_a, month=timezone.localdate())
    bills = list(
        DuesBill.objects.filter(member=billed.member_a, status="unpaid").exclude(
            period__lt=add_months(month_start(timezone.localdate()), -6)
        )
    )
    old = DuesBill.objects.filter(member=billed.member_a, period__lt=add_months(month_start(timezone.localdate()), -6))
    old.update(status=DuesBill.Status.EXEMPTED)
    services.payment_record(
        member=billed.member_a,
        bills=bills,
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
        branch_consent=True,
    )
    assert services.dues_paid_up_to(member=billed.member_a, month=timezone.localdate())


# --- API and web: scope, bad input, query counts ---------------------------------------------


def _token(user):
    from dangjian.accounts.services import api_token_issue

    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user, name='t').plaintext}"}


def test_api_payment_by_secretary_of_another_branch_is_404_and_writes_nothing(client, billed):
    [bill] = _bills(billed.member_a, [0])
    body = {
        "member_id": billed.member_a.pk,
        "bill_ids": [bill.pk],
        "method": "cash",
        "paid_on": str(timezone.localdate()),
    }
    response = client.post("/api/v1/dues/payments", body, content_type="application/json", **_token(billed.secretary_b))
    assert response.status_code == 404
    assert not DuesPayment.objects.exists()
    ok = client.post("/api/v1/dues/payments", body, content_type="application/json", **_token(billed.secretary_a))
    assert ok.status_code == 201, ok.json()
    assert ok.json()["months"] == [bill.period.strftime("%Y-%m")]


def test_api_payment_bad_input(client, billed):
    [bill] = _bills(billed.member_a, [0])
    headers = _token(billed.secretary_a)
    for body, field in [
        (
            {
                "member_id": billed.member_a.pk,
                "bill_ids": [bill.pk],
                "method": "gold",
                "paid_on": str(timezone.localdate()),
            },
            "method",
        ),
        (
            {
                "member_id": billed.member_a.pk,
                "bill_ids": [bill.pk],
                "method": "bank",
                "paid_on": str(timezone.localdate()),
            },
            "external_ref",
        ),
        (
            {"member_id": billed.member_a.pk, "bill_ids": [bill.pk], "method": "cash", "paid_on": "2999-01-01"},
            "paid_on",
        ),
        ({"member_id": billed.member_a.pk, "bill_ids": [bill.pk], "method": "cash", "paid_on": "yesterday"}, "paid_on"),
        (
            {
                "member_id": billed.member_a.pk,
                "bill_ids": [999999],
                "method": "cash",
                "paid_on": str(timezone.localdate()),
            },
            "bill_ids",
        ),
        (
            {
                "member_id": billed.member_a.pk,
                "bill_ids": [],
                "method": "cash",
                "paid_on": str(timezone.localdate()),
                "voluntary_amount": "-3",
            },
            "voluntary_amount",
        ),
    ]:
        response = client.post("/api/v1/dues/payments", body, content_type="application/json", **headers)
        assert response.status_code == 400, (body, response.content)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert not DuesPayment.objects.exists()


def test_api_bills_scope_and_query_count(client, billed, django_assert_max_num_queries):
    mine = client.get("/api/v1/dues/bills", **_token(billed.member_a_user)).json()
    assert mine["count"] == 8 and {b["member_id"] for b in mine["items"]} == {billed.member_a.pk}
    headers = _token(billed.committee)
    with django_assert_max_num_queries(6):
        everything = client.get("/api/v1/dues/bills", {"page_size": 200}, **headers).json()
    assert everything["count"] == 16
    other = client.get("/api/v1/dues/bills", {"member": billed.member_b.pk}, **_token(billed.secretary_a))
    assert other.status_code == 404
    assert client.get("/api/v1/dues/bills", {"period": "May"}, **headers).status_code == 400


def test_branch_page_scope_and_queries(client, billed, django_assert_max_num_queries):
    login(client, billed.secretary_a)
    with django_assert_max_num_queries(25):
        response = client.get("/dues/branch/")
    assert response.status_code == 200
    page = response.content.decode()
    assert billed.member_a.name in page and billed.member_b.name not in page
    assert client.get("/dues/branch/", {"org": billed.branch_b.pk}).status_code == 404
    login(client, billed.outsider)
    assert client.get("/dues/branch/").status_code == 404


def test_web_pay_of_another_branch_is_404(client, billed):
    [bill] = _bills(billed.member_b, [0])
    login(client, billed.secretary_a)
    response = client.post("/dues/branch/pay/", {"member": billed.member_b.pk, "bill": bill.pk, "method": "cash"})
    assert response.status_code == 404
    assert not DuesPayment.objects.exists()


def test_member_sees_own_dues_and_receipt_but_not_others(client, billed):
    [bill] = _bills(billed.member_a, [0])
    p = services.payment_record(
        member=billed.member_a,
        bills=[bill],
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_a,
    )
    login(client, billed.member_a_user)
    page = client.get("/dues/")
    assert page.status_code == 200 and "45.00" in page.content.decode()
    assert client.get(f"/dues/receipts/{p.pk}/").status_code == 200
    [bill_b] = _bills(billed.member_b, [0])
    pb = services.payment_record(
        member=billed.member_b,
        bills=[bill_b],
        method="cash",
        paid_on=timezone.localdate(),
        acting_user=billed.secretary_b,
    )
    assert client.get(f"/dues/receipts/{pb.pk}/").status_code == 404


def test_generate_button_is_scoped(client, based):
    login(client, based.secretary_a)
    assert client.post("/dues/branch/generate/", {"org": based.branch_b.pk}).status_code == 404
    assert not DuesBill.objects.exists()
    client.post("/dues/branch/generate/", {"org": based.branch_a.pk})
    assert set(DuesBill.objects.values_list("member_id", flat=True)) == {based.member_a.pk}
    assert dt.date.today() >= DuesBill.objects.get().period
