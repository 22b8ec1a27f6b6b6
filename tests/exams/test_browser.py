"""In a real browser on a phone: a member takes a timed exam, loses the connection, resumes and submits; the
organiser's analysis on a PC. Screenshots go to $EXAMS_SHOTS_DIR when set (else the test's tmp dir)."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.accounts.models import OrgRole
from dangjian.exams import attempts, papers, services
from dangjian.exams.bank import bank_create
from dangjian.exams.models import Attempt
from dangjian.orgs.models import Org
from tests.e2e.conftest import DESKTOP, PHONE, log_in

from ..factories import PASSWORD, UserFactory, grant, make_member, make_org
from .conftest import add_question

pytestmark = pytest.mark.e2e


def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("EXAMS_SHOTS_DIR") or tmp_path)


@pytest.fixture
def exam_world(transactional_db, django_db_serialized_rollback):
    group = make_org("集团党委", Org.Kind.COMMITTEE)
    company = make_org("甲公司党委", Org.Kind.COMMITTEE, parent=group)
    branches = [make_org(name, Org.Kind.BRANCH, parent=company) for name in ("第一党支部", "第二党支部", "第三党支部")]
    committee = UserFactory(username="committee", name="组织部")
    grant(committee, group, OrgRole.Role.COMMITTEE_ADMIN)
    member_user = UserFactory(username="member_a", name="张三")
    make_member(branches[0], name="张三", user=member_user)
    bank = bank_create(org=group, name="党章党规题库", acting_user=committee)
    stems = ["党的最高理想和最终目标是什么？", "中国共产党的根本宗旨是？", "党的思想路线是？", "党员的党龄从何时算起？"]
    for i, stem in enumerate(stems):
        add_question(
            bank,
            committee,
            type="single",
            stem=stem,
            options=["实现共产主义", "全心全意为人民服务", "实事求是", "预备期满转为正式党员之日"],
            answer="ABCD"[i],
            difficulty=i % 3 + 1,
            knowledge_points="党章总纲" if i < 2 else "党员义务",
        )
    add_question(
        bank,
        committee,
        type="multiple",
        stem="“三会一课”中的“三会”包括？",
        options=["支部党员大会", "支部委员会", "党小组会", "职工代表大会"],
        answer="ABC",
        knowledge_points="组织生活",
    )
    add_question(
        bank,
        committee,
        type="judge",
        stem="预备党员有表决权、选举权和被选举权。",
        answer="错",
        knowledge_points="党员义务",
    )
    add_question(
        bank,
        committee,
        type="blank",
        stem="中国共产党是中国____的先锋队。",
        answer="工人阶级|中国工人阶级",
        knowledge_points="党章总纲",
    )
    rules = [
        papers.RuleSpec(type="single", count=4, points=Decimal(10)),
        papers.RuleSpec(type="multiple", count=1, points=Decimal(20)),
        papers.RuleSpec(type="judge", count=1, points=Decimal(20)),
        papers.RuleSpec(type="blank", count=1, points=Decimal(20)),
    ]
    paper = papers.paper_save_random(bank=bank, org=group, name="党章知识测试卷", rules=rules, acting_user=committee)
    now = timezone.now()
    exam = services.exam_publish(
        exam=services.exam_save(
            org=group,
            paper=paper,
            acting_user=committee,
            title="2026年党章党规知识测试",
            opens_at=now - dt.timedelta(hours=1),
            closes_at=now + dt.timedelta(days=2),
            time_limit_minutes=30,
            review_policy="after_submit",
            multiple_partial="half",
        ),
        acting_user=committee,
        notify_members=False,
    )
    # Earlier takers across the branches, so that the analysis has something to show.
    rng = random.Random(7)
    for n in range(24):
        user = UserFactory()
        make_member(branches[n % 3], user=user)
        attempt, _shown, _ = attempts.attempt_start(exam=exam, user=user, rng=rng)
        ability = 0.25 + 0.7 * n / 23 - 0.1 * (n % 3)  # stronger members later, the first branch a little ahead
        answers = {}
        for aq in attempt.questions.select_related("version").order_by("slot"):
            v = aq.version
            if rng.random() < ability + 0.15 * (v.difficulty == 1):
                answers[str(aq.question_id)] = v.answer[0][0] if v.type == "blank" else v.answer
        attempts.attempt_save_answers(attempt_id=attempt.pk, user=user, answers=answers)
        attempts.attempt_submit(attempt_id=attempt.pk, user=user)
    return exam


def test_member_takes_a_timed_exam_loses_the_connection_resumes_and_submits(exam_world, new_page, tmp_path):
    exam = exam_world
    page = new_page(PHONE)
    log_in(page, "member_a", PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/exams/")
    page.get_by_test_id("my-exams").get_by_role("link", name=exam.title).click()
    page.get_by_test_id("start").click()
    expect(page).to_have_url(re.compile(r"/exams/attempts/\d+/$"))
    questions = page.get_by_test_id("question")
    expect(questions).to_have_count(7)
    expect(page.get_by_test_id("countdown")).to_contain_text(re.compile(r"(29|30):\d\d"))
    attempt = Attempt.objects.get(exam=exam, member__user__username="member_a")
    singles = page.locator(".question[data-type=single]")  # the paper's order is shuffled: pick by type

    # Answer the first question: saved on the server, and the page says so.
    with page.expect_response(lambda r: "/answers" in r.url and r.request.method == "PUT") as saved:
        singles.nth(0).locator("label.option").first.click()
    assert saved.value.status == 200
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    expect(singles.nth(0).locator(".q-state")).to_have_attribute("data-state", "saved")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(shots(tmp_path) / "exam-phone-390x844.png"))

    # The connection drops: the next answer stays on the phone.
    page.context.set_offline(True)
    singles.nth(1).locator("label.option").nth(1).click()
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "offline")
    page.screenshot(path=str(shots(tmp_path) / "exam-phone-offline.png"))
    attempt.refresh_from_db()
    assert len(attempt.answers) == 1
    page.close()

    # Back online on a new page: resume the same attempt; the kept answer is sent.
    page.context.set_offline(False)
    page = page.context.new_page()
    page.goto(f"/exams/{exam.pk}/")
    page.get_by_test_id("resume").click()
    expect(page).to_have_url(re.compile(rf"/exams/attempts/{attempt.pk}/$"))
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")
    page.wait_for_function(
        f"() => !localStorage.getItem('dangjian-exam-{attempt.pk}') || localStorage.getItem('dangjian-exam-{attempt.pk}') === '{{}}'"
    )
    attempt.refresh_from_db()
    assert len(attempt.answers) == 2

    # A blank, then submit (confirming the dialog).
    blank = page.locator(".question[data-type=blank] input[type=text]").first
    with page.expect_response(lambda r: "/answers" in r.url and r.request.method == "PUT"):
        blank.fill("工人阶级")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("result")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and len(attempt.answers) == 3 and attempt.score is not None
    expect(page.get_by_test_id("score")).to_contain_text(format(attempt.score.normalize(), "f"))
    page.screenshot(path=str(shots(tmp_path) / "exam-result-phone.png"), full_page=True)


def test_committee_reads_the_analysis_on_a_pc(exam_world, new_page, tmp_path):
    page = new_page(DESKTOP)
    log_in(page, "committee", PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(f"/exams/{exam_world.pk}/analysis/")
    expect(page.get_by_test_id("items")).to_be_visible()
    expect(page.get_by_test_id("orgs")).to_contain_text("第一党支部")
    page.screenshot(path=str(shots(tmp_path) / "exam-analysis-1440x900.png"))
