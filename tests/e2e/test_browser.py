"""The main paths through the web UI in a real browser: phone workbench, committee browsing with an HTMX
reveal, and a refused login. Assertions are on data and data-testid selectors, not on translated text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, ID_NUMBER, PHONE, log_in, shot

pytestmark = pytest.mark.e2e

NOTICE = "支部党员大会将于周五召开"


def test_member_logs_in_on_a_phone_and_sees_the_workbench(e2e_cast, new_page, tmp_path):
    from dangjian.notices.services import notify

    notify(recipients=[e2e_cast.member_user], title=NOTICE)
    page = new_page(PHONE)

    log_in(page, "member_a", e2e_cast.password)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("todos")).to_be_visible()
    expect(page.get_by_test_id("notices")).to_contain_text(NOTICE)
    expect(page.get_by_test_id("deadlines")).to_be_attached()
    tabbar = page.locator("nav.tabbar")
    expect(tabbar).to_be_visible()
    assert 1 <= tabbar.locator("a.tab").count() <= 5
    expect(page.locator("nav.sidebar")).to_be_hidden()
    # Nothing is wider than the phone: no sideways scrolling of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator(".user-menu summary").click()
    expect(page.locator(".user-menu .menu-head")).to_have_text("张三")
    shot(page, tmp_path, "member-workbench-phone")


def test_committee_browses_tree_to_a_member_and_reveals_the_id_number(e2e_cast, new_page, tmp_path):
    page = new_page(DESKTOP)
    log_in(page, "committee", e2e_cast.password)
    expect(page.get_by_test_id("todos")).to_be_visible()
    expect(page.locator("nav.sidebar")).to_be_visible()
    expect(page.locator("nav.tabbar")).to_be_hidden()

    page.goto("/orgs/")
    tree = page.get_by_test_id("org-tree")
    for name in ("集团党委", "甲公司党委", "乙公司党委", "甲公司第一党支部", "乙公司第一党支部"):
        expect(tree).to_contain_text(name)
    shot(page, tmp_path, "org-tree")

    tree.get_by_role("link", name="甲公司第一党支部", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orgs/{e2e_cast.branch_a.pk}/$"))
    expect(page.locator("h1")).to_contain_text("甲公司第一党支部")

    page.locator(f".page-header a[href$='?org={e2e_cast.branch_a.pk}']").click()
    expect(page).to_have_url(re.compile(rf"/orgs/members/\?org={e2e_cast.branch_a.pk}$"))
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("张三")
    expect(table).not_to_contain_text("李四")  # Branch B's member is filtered out
    shot(page, tmp_path, "member-list")

    table.get_by_role("link", name="张三", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/orgs/members/{e2e_cast.member_a.pk}/$"))
    identity = page.get_by_test_id("identity")
    id_value = identity.locator("#v-id_number")
    masked = ID_NUMBER[:3] + "*" * (len(ID_NUMBER) - 7) + ID_NUMBER[-4:]
    expect(id_value).to_have_text(masked)
    expect(identity).not_to_contain_text(ID_NUMBER)
    shot(page, tmp_path, "member-masked")

    with page.expect_response(lambda r: "/reveal/id_number/" in r.url) as reveal:
        identity.locator("button[hx-post*='/reveal/id_number/']").click()
    assert reveal.value.status == 200
    expect(id_value).to_have_text(ID_NUMBER)
    expect(identity.locator("#v-phone")).to_have_text("138****5678")  # only the field asked for is shown
    shot(page, tmp_path, "member-revealed")


def test_wrong_password_shows_an_error_and_opens_no_session(e2e_cast, new_page, tmp_path):
    page = new_page(PHONE)

    with page.expect_response(lambda r: r.request.method == "POST" and "/accounts/login/" in r.url) as answer:
        log_in(page, "member_a", e2e_cast.password + "wrong")
    assert answer.value.status == 400

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    error = page.locator(".login-box .errorlist")
    expect(error).to_be_visible()
    assert error.inner_text().strip()
    expect(page.locator("input[name=identifier]")).to_have_value("member_a")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator("nav.tabbar")).to_have_count(0)
    shot(page, tmp_path, "login-refused")

    assert "sessionid" not in {c["name"] for c in page.context.cookies()}
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("input[name=password]")).to_be_visible()
