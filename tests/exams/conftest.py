"""Exam fixtures built through the services: a bank at Company A with a category tree and questions of every type,
a random paper and a published exam for Company A (so member_a of Branch A may take it, member_b may not)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dangjian.accounts.services import api_token_issue
from dangjian.exams import bank as bank_services
from dangjian.exams import papers, services
from dangjian.exams.bank import QuestionContent, parse_content
from dangjian.exams.models import Question

from ..factories import UserFactory, make_member


def content(**data) -> QuestionContent:
    parsed, errors = parse_content(data)
    assert not errors, errors
    return parsed


def add_question(bank, user, **data) -> Question:
    return bank_services.question_create(bank=bank, content=content(**data), acting_user=user, audited=False)


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user, name='t').plaintext}"}


@pytest.fixture
def bank(cast):
    """Company A's bank: 10 single (difficulty 1–5 twice, half of them in 党章/总纲), 4 multiple, 4 judge, 3 blank."""
    b = bank_services.bank_create(org=cast.company_a, name="党章党规题库", acting_user=cast.committee)
    for i in range(10):
        add_question(
            b,
            cast.committee,
            type="single",
            stem=f"单选题{i}：党的最高理想是？",
            options=["共产主义", "小康社会", "现代化", "富强"],
            answer="A",
            difficulty=i % 5 + 1,
            category="党章/总纲" if i % 2 == 0 else "党史",
            knowledge_points="党的性质",
        )
    for i in range(4):
        add_question(
            b,
            cast.committee,
            type="multiple",
            stem=f"多选题{i}：四个意识包括？",
            options=["政治意识", "大局意识", "核心意识", "消费意识"],
            answer="ABC",
            difficulty=3,
            category="党章",
            knowledge_points="四个意识",
        )
    for i in range(4):
        add_question(
            b,
            cast.committee,
            type="judge",
            stem=f"判断题{i}：党员应当按期交纳党费。",
            answer="对",
            difficulty=2,
            category="党规",
        )
    for i in range(3):
        add_question(
            b,
            cast.committee,
            type="blank",
            stem=f"填空{i}：中国共产党是中国____的先锋队。",
            answer="工人阶级|中国工人阶级",
            difficulty=2,
            category="党章/总纲",
            knowledge_points="党的性质",
        )
    return b


@pytest.fixture
def random_paper(cast, bank):
    rules = [
        papers.RuleSpec(type="single", count=4, points=Decimal("2")),
        papers.RuleSpec(type="multiple", count=2, points=Decimal("4")),
        papers.RuleSpec(type="judge", count=2, points=Decimal("2")),
        papers.RuleSpec(type="blank", count=2, points=Decimal("3")),
    ]
    return papers.paper_save_random(
        bank=bank, org=cast.company_a, name="随机卷", rules=rules, acting_user=cast.committee
    )


@pytest.fixture
def exam(cast, random_paper):
    """Open now for an hour, 30-minute limit, 2 attempts, pass mark 60 %, max score 26 (4×2 + 2×4 + 2×2 + 2×3)."""
    now = timezone.now()
    e = services.exam_save(
        org=cast.company_a,
        paper=random_paper,
        acting_user=cast.committee,
        title="党章知识测试",
        opens_at=now - dt.timedelta(minutes=5),
        closes_at=now + dt.timedelta(hours=1),
        time_limit_minutes=30,
        attempts_allowed=2,
        review_policy="after_submit",
    )
    return services.exam_publish(exam=e, acting_user=cast.committee, notify_members=False)


@pytest.fixture
def member_b_user(cast):
    user = UserFactory(username="member_b", name="李四")
    cast.member_b.user = user
    cast.member_b.save()
    return user


@pytest.fixture
def branch_members(cast):
    return [make_member(cast.branch_a, name=f"党员{i}", user=UserFactory()) for i in range(3)]
