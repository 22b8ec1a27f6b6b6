"""Issue 3 in a real browser: a secretary imports a roster, then moves a person one step along the
development pipeline."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.accounts.models import OrgRole
from dangjian.orgs.models import Member
from dangjian.orgs.models_development import DevelopmentCase

from ..factories import UserFactory, grant
from .conftest import DESKTOP, log_in

pytestmark = pytest.mark.e2e


def test_secretary_imports_a_roster_and_moves_an_applicant_one_step(e2e_cast, new_page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    secretary = UserFactory(username="secretary_a", name="甲书记")
    grant(secretary, e2e_cast.branch_a, OrgRole.Role.SECRETARY)
    applied = timezone.localdate() - dt.timedelta(days=10)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "工号,姓名,性别,出生日期,所在党组织,政治面貌,入党申请日期\n"
        f"E300001,刘洋,男,1998-04-02,甲公司第一党支部,入党申请人,{applied.isoformat()}\n"
        "E300002,陈静,女,1997-09-12,甲公司第一党支部,中共党员,2019-03-01\n",
        encoding="utf-8",
    )

    page = new_page(DESKTOP)
    log_in(page, "secretary_a", e2e_cast.password)
    page.goto("/orgs/import/")
    page.set_input_files("input[name=file]", str(roster))
    page.locator("form button.btn-primary").click()
    page.locator('[data-testid="confirm-import"]').click()
    page.locator('[data-testid="import-job"][data-state="done"]').wait_for()
    page.screenshot(path=str(tmp_path / "imported.png"), full_page=True)
    applicant = Member.objects.get(employee_no="E300001")
    assert applicant.status == "applicant" and Member.objects.filter(employee_no="E300002", status="full").exists()

    page.goto("/orgs/development/")
    member_field = page.locator("#start [name=member]")
    if member_field.evaluate("el => el.tagName") == "SELECT":
        member_field.select_option(str(applicant.pk))
    else:
        member_field.fill(applicant.employee_no)
    page.fill("#start [name=application_date]", applied.isoformat())
    page.locator("#start button.btn-primary").click()
    page.locator('[data-testid="step-form"]').wait_for()
    case = DevelopmentCase.objects.get(member=applicant)
    before = case.next_step
    page.fill('[data-testid="step-form"] [name=done_on]', timezone.localdate().isoformat())
    page.locator('[data-testid="step-form"] button[name=number]').first.click()
    page.locator('[data-testid="case-timeline"]').wait_for()
    page.screenshot(path=str(tmp_path / "pipeline-step.png"), full_page=True)
    case.refresh_from_db()
    assert case.next_step == before + 1, page.locator(".errorlist").all_inner_texts()
