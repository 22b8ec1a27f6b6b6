"""Payroll base import, statement reconciliation and published month totals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from dangjian.core.errors import DomainError
from dangjian.core.ledger import ledger_verify
from dangjian.core.tabular import write_xlsx
from dangjian.dues import imports, reconcile, reports, services
from dangjian.dues.models import DuesBase, DuesBill, DuesMonthClose, DuesPayment, StatementLine
from dangjian.dues.periods import add_months, month_start

from ..conftest import login
from ..factories import make_member


def csv_upload(text: str, name: str = "f.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_payroll_import_creates_bases_all_or_nothing(cast):
    good = f"工号,姓名,类别,月缴费基数,起始月份\n{cast.member_a.employee_no},张三,在职,3000.01,1\n"
    result = imports.bases_import(upload=csv_upload(good), year=2026, acting_user=cast.secretary_a)
    assert result == {"created": 1, "updated": 0}
    base = DuesBase.objects.get(member=cast.member_a, year=2026)
    assert (base.monthly_amount, base.rate, base.source) == (Decimal("30.00"), Decimal("0.0100"), "payroll")
    # Re-import is an update, not a duplicate.
    again = imports.bases_import(
        upload=csv_upload(good.replace("3000.01", "3000.00")), year=2026, acting_user=cast.secretary_a
    )
    assert again == {"created": 0, "updated": 1}
    assert DuesBase.objects.get(member=cast.member_a, year=2026).monthly_amount == Decimal("15.00")


def test_payroll_import_reports_every_bad_row_and_writes_nothing(cast):
    other = make_member(cast.branch_a, name="王五")
    bad = (
        "工号,姓名,类别,月缴费基数,起始月份\n"
        f"{other.employee_no},王五,在职,4000,1\n"  # fine
        f"{cast.member_a.employee_no},李雷,在职,4000,1\n"  # wrong name
        f"{cast.member_b.employee_no},李四,在职,4000,1\n"  # another branch: not in scope
        "E999999,无名,在职,4000,1\n"  # unknown
        f"{other.employee_no},王五,在职,4000,1\n"  # duplicate
        ",某人,学生,,1\n"  # empty employee number
    )
    with pytest.raises(DomainError) as exc:
        imports.bases_import(upload=csv_upload(bad), year=2026, acting_user=cast.secretary_a)
    rows = {(e["row"], e["field"]) for e in exc.value.errors}
    assert rows == {(3, "name"), (4, "employee_no"), (5, "employee_no"), (6, "employee_no"), (7, "employee_no")}
    assert not DuesBase.objects.exists()


@pytest.mark.parametrize(
    "content,name",
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "roster.xlsx"),  # an .exe renamed
        (b"", "empty.csv"),
        (b"PK\x03\x04garbage", "broken.xlsx"),
        ("姓名,部门\n张三,财务\n".encode(), "wrong-columns.csv"),
    ],
)
def test_bad_files_are_refused_with_a_message(cast, content, name):
    with pytest.raises(DomainError) as exc:
        imports.bases_import(upload=SimpleUploadedFile(name, content), year=2026, acting_user=cast.secretary_a)
    assert exc.value.message
    assert not DuesBase.objects.exists()


def test_oversized_file_is_refused(cast, settings):
    settings.MAX_IMPORT_BYTES = 1024
    with pytest.raises(DomainError):
        imports.bases_import(
            upload=csv_upload("工号,类别\n" + "E1,在职\n" * 500), year=2026, acting_user=cast.secretary_a
        )


def test_xlsx_import_and_template(cast):
    content = write_xlsx(
        ["工号", "姓名", "类别", "月缴费基数"], [[cast.member_a.employee_no, "张三", "离退休", 5000.01]]
    )
    imports.bases_import(upload=SimpleUploadedFile("p.xlsx", content), year=2026, acting_user=cast.secretary_a)
    assert DuesBase.objects.get(member=cast.member_a).monthly_amount == Decimal("50.00")
    assert imports.base_template()[:4] == b"PK\x03\x04"


def test_import_page_shows_row_errors(client, cast):
    login(client, cast.secretary_a)
    response = client.post("/dues/branch/bases/", {"year": 2026, "file": csv_upload("工号,类别\nE999,在职\n")})
    assert response.status_code == 400
    assert "E999" not in str(DuesBase.objects.all()) and b"row-errors" in response.content


# --- Reconciliation ------------------------------------------------------------------------


@pytest.fixture
def three_months(based):
    this = month_start(timezone.localdate())
    for i in (2, 1, 0):
        services.bills_generate(period=add_months(this, -i))
    return based


def statement(rows: list[str]) -> SimpleUploadedFile:
    return csv_upload("交易日期,金额,摘要,付款人,流水号\n" + "\n".join(rows) + "\n", "bank.csv")


def test_statement_with_mistakes_is_reconciled(three_months):
    c = three_months
    emp = c.member_a.employee_no
    today = timezone.localdate().isoformat()
    stmt = reconcile.statement_import(
        upload=statement(
            [
                f"{today},90.00,党费 {emp},张三,T001",  # two oldest months at once
                f"{today},90.00,党费 {emp},张三,T001",  # the same transaction again: duplicate
                f"{today},20.00,党费 {emp},张三,T002",  # partial: a person must decide
                f"{today},45.00,党费 没有工号,某人,T003",  # nobody named
            ]
        ),
        org=c.branch_a,
        acting_user=c.secretary_a,
    )
    status = dict(stmt.lines.values_list("row", "status"))
    assert status == {2: "matched", 3: "duplicate", 4: "unmatched", 5: "unmatched"}
    paid = DuesBill.objects.filter(member=c.member_a, status="paid").count()
    assert paid == 2
    assert DuesPayment.objects.get().external_ref == "T001"
    # Importing the same file again pays nothing twice.
    reconcile.statement_import(
        upload=statement([f"{today},90.00,党费 {emp},张三,T001"]), org=c.branch_a, acting_user=c.secretary_a
    )
    assert DuesPayment.objects.count() == 1
    # A person resolves the partial line as this month's dues minus... it is short, so it is refused; ignoring works.
    line = StatementLine.objects.get(statement=stmt, row=4)
    last = DuesBill.objects.get(member=c.member_a, status="unpaid")
    with pytest.raises(DomainError):
        reconcile.statement_line_resolve(line=line, acting_user=c.secretary_a, member=c.member_a, bills=[last])
    reconcile.statement_line_resolve(line=line, acting_user=c.secretary_a, ignore_reason="退款")
    line.refresh_from_db()
    assert line.status == "ignored"


def test_statement_of_another_branch_is_refused(three_months):
    from django.http import Http404

    with pytest.raises(Http404):
        reconcile.statement_import(
            upload=statement(["2026-01-01,1.00,x,y,z"]), org=three_months.branch_b, acting_user=three_months.secretary_a
        )
    assert not StatementLine.objects.exists()


def test_malformed_statement_writes_nothing(three_months):
    with pytest.raises(DomainError) as exc:
        reconcile.statement_import(
            upload=statement(["昨天,abc,x,y,z", "2026-01-02,10.00,x,y,z"]),
            org=three_months.branch_a,
            acting_user=three_months.secretary_a,
        )
    assert {(e["row"], e["field"]) for e in exc.value.errors} == {(2, "date"), (2, "amount")}
    assert not StatementLine.objects.exists()


# --- Reports and the ledger ----------------------------------------------------------------


def test_totals_by_branch_and_closed_month_in_ledger(three_months, capsys):
    c = three_months
    last_month = add_months(month_start(timezone.localdate()), -1)
    bill = DuesBill.objects.get(member=c.member_a, period=last_month)
    services.payment_record(
        member=c.member_a, bills=[bill], method="cash", paid_on=timezone.localdate(), acting_user=c.secretary_a
    )
    rows = reports.totals_by_child(org=c.group, first=last_month, last=last_month)
    by_name = {r["org"].name: r for r in rows}
    assert by_name["甲公司党委"]["collected"] == Decimal("45.00")
    assert by_name["乙公司党委"]["outstanding"] == Decimal("240.00")
    close = reports.month_close(org=c.group, period=last_month, acting_user=c.committee)
    assert close.totals["collected"] == "45.00"
    assert ledger_verify()[1] is None
    assert reports.closed_months_changed() == []
    # A later change to a closed month is detectable.
    DuesBill.objects.filter(pk=bill.pk).update(amount=Decimal("1.00"))
    changed = reports.closed_months_changed()
    assert changed and changed[0][0] == close and "collected" in changed[0][1]
    with pytest.raises(DomainError):
        reports.month_close(org=c.group, period=last_month, acting_user=c.committee)
    assert DuesMonthClose.objects.count() == 1
    call_command("verify_ledger")


def test_report_page_and_export_are_scoped(client, three_months):
    c = three_months
    login(client, c.secretary_a)
    page = client.get("/dues/reports/")
    assert page.status_code == 200
    export = client.get("/dues/reports/", {"format": "xlsx"})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert client.get("/dues/reports/", {"org": c.branch_b.pk}).status_code == 404
    assert client.post("/dues/reports/close/", {"org": c.branch_b.pk, "period": "2026-01"}).status_code == 404
    assert not DuesMonthClose.objects.exists()


def test_member_declares_and_secretary_confirms(client, cast):
    login(client, cast.member_a_user)
    bad = client.post("/dues/declare/", {"category": "in_service", "base": "-3", "from_month": 1})
    assert bad.status_code == 400 and not DuesBase.objects.exists()
    client.post("/dues/declare/", {"category": "in_service", "base": "3200", "from_month": 1})
    base = DuesBase.objects.get()
    assert base.state == "pending" and base.monthly_amount == Decimal("32.00")
    login(client, cast.secretary_b)
    assert client.post(f"/dues/branch/bases/{base.pk}/confirm/").status_code == 404
    login(client, cast.secretary_a)
    client.post(f"/dues/branch/bases/{base.pk}/confirm/")
    base.refresh_from_db()
    assert base.state == "confirmed"
    assert dt.date.today().year >= base.year
