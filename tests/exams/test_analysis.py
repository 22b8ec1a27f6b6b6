"""Item analysis against a hand-computed example (Moodle's quiz-statistics formulas), pass rate by org, mastery."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dangjian.exams import analysis, attempts, papers, services
from dangjian.exams.analysis import sorted_pair_sum
from dangjian.exams.bank import bank_create

from ..factories import UserFactory, make_member
from .conftest import add_question

# Five members, three true-or-false questions of 1 point, marks (1 = right):
#            Q1 Q2 Q3   total T
MARKS = [
    [1, 1, 1],  # 3
    [1, 1, 0],  # 2
    [1, 0, 0],  # 1
    [0, 0, 1],  # 1
    [0, 0, 0],
]  # 0


@pytest.fixture
def taken(cast):
    bank = bank_create(org=cast.company_a, name="统计", acting_user=cast.committee)
    qs = [
        add_question(bank, cast.committee, type="judge", stem=f"判断{i}", answer="对", knowledge_points=kp)
        for i, kp in enumerate(["党章", "党章", "党史"])
    ]
    paper = papers.paper_save_fixed(
        bank=bank,
        org=cast.company_a,
        name="固定卷",
        items=[(q.pk, Decimal(1)) for q in qs],
        acting_user=cast.committee,
        shuffle_questions=False,
    )
    now = timezone.now()
    exam = services.exam_save(
        org=cast.company_a,
        paper=paper,
        acting_user=cast.committee,
        title="统计测验",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=1),
        pass_percent=Decimal(60),
    )
    exam = services.exam_publish(exam=exam, acting_user=cast.committee, notify_members=False)
    for row in MARKS:
        user = UserFactory()
        make_member(cast.branch_a, user=user)
        attempt, _shown, _ = attempts.attempt_start(exam=exam, user=user)
        attempts.attempt_save_answers(
            attempt_id=attempt.pk, user=user, answers={str(q.pk): bool(m) for q, m in zip(qs, row, strict=True)}
        )
        attempts.attempt_submit(attempt_id=attempt.pk, user=user)
    return exam, qs


def test_statistics_match_the_hand_calculation(taken):
    exam, qs = taken
    s = analysis.exam_statistics(exam)
    # Totals T = 3, 2, 1, 1, 0: mean 7/5 = 1.4, median 1; squared deviations 2.56 + 0.36 + 0.16 + 0.16 + 1.96 = 5.2,
    # sample variance 5.2 / 4 = 1.3, SD = √1.3 = 1.140175.
    assert s.n == 5 and s.mean == pytest.approx(1.4) and s.median == 1 and s.sd == pytest.approx(1.1401754)
    assert s.passed == 2 and s.pass_rate == pytest.approx(40.0)  # pass mark 60 % of 3 = 1.8: the 3 and the 2
    items = {i.question_id: i for i in s.items}
    q1, q2, q3 = (items[q.pk] for q in qs)
    # Q1: x = 1,1,1,0,0 (mean 0.6), rest o = T − x = 2,1,0,1,0 (mean 0.8).
    #   var x = (3·0.4² + 2·0.6²)/4 = 1.2/4 = 0.3; var o = (1.2² + 0.2² + 0.8² + 0.2² + 0.8²)/4 = 2.8/4 = 0.7
    #   cov = (0.4·1.2 + 0.4·0.2 + 0.4·(−0.8) + (−0.6)·0.2 + (−0.6)·(−0.8))/4 = 0.6/4 = 0.15
    #   facility = 100 · 0.6/1 = 60; D = 100 · 0.15/√(0.3·0.7) = 15/0.458258 = 32.7327
    #   sorted x 0,0,1,1,1 with sorted o 0,0,1,1,2: Σ = 4; cov_max = (4 − 5·0.6·0.8)/4 = 0.4; E = 100 · 0.15/0.4 = 37.5
    assert (q1.facility, q1.sd) == (pytest.approx(60.0), pytest.approx(0.3**0.5))
    assert q1.discrimination == pytest.approx(32.7327, abs=1e-4) and q1.efficiency == pytest.approx(37.5)
    # Q2: x = 1,1,0,0,0 (mean 0.4), o = 2,1,1,1,0 (mean 1.0): var x 0.3, var o (1+0+0+0+1)/4 = 0.5,
    #   cov = (0.6·1 + 0.6·0 − 0.4·0 − 0.4·0 − 0.4·(−1))/4 = 0.25; D = 25/√0.15 = 64.5497;
    #   sorted pairs Σ = 0·0 + 0·1 + 0·1 + 1·1 + 1·2 = 3, cov_max = (3 − 5·0.4·1.0)/4 = 0.25: E = 100
    assert (
        q2.facility == pytest.approx(40.0)
        and q2.discrimination == pytest.approx(64.5497, abs=1e-4)
        and q2.efficiency == pytest.approx(100.0)
    )
    # Q3: x = 1,0,0,1,0, o = 2,2,1,0,0 (mean 1.0): cov = (0.6·1 − 0.4·1 − 0.4·0 + 0.6·(−1) − 0.4·(−1))/4 = 0: D = E = 0
    assert (
        q3.facility == pytest.approx(40.0)
        and q3.discrimination == pytest.approx(0.0, abs=1e-9)
        and q3.efficiency == pytest.approx(0.0, abs=1e-9)
    )
    # CIC = 100 · P/(P−1) · (1 − Σ var(slot)/var(T)) = 100 · 3/2 · (1 − 0.9/1.3) = 46.1538;
    # error ratio = 100 · √(1 − 0.461538) = 73.3799; SE = 0.733799 · 1.140175 = 0.836660
    assert s.cic == pytest.approx(46.1538, abs=1e-4)
    assert s.error_ratio == pytest.approx(73.3799, abs=1e-4) and s.standard_error == pytest.approx(0.836660, abs=1e-6)
    # Distribution in tenths of the maximum 3: 0 → 0–10 %, 1 → 30–40 %, 2 → 60–70 %, 3 → the top band.
    assert dict(s.distribution) == {
        "0–10%": 1,
        "10–20%": 0,
        "20–30%": 0,
        "30–40%": 2,
        "40–50%": 0,
        "50–60%": 0,
        "60–70%": 1,
        "70–80%": 0,
        "80–90%": 0,
        "90–100%": 1,
    }


def test_pass_rate_by_org_and_mastery(taken, cast):
    exam, _qs = taken
    rows = {r.name: r for r in analysis.pass_rate_by_org(exam)}
    a = rows["甲公司第一党支部"]
    assert (a.audience, a.attempted, a.passed) == (6, 5, 2)  # member_a has not taken it
    assert a.mean_percent == pytest.approx(100 * 7 / 15)
    by_branch = {r["kp"]: r["mastery"] for r in analysis.mastery(exam, by="org")}
    assert by_branch == {"党章": pytest.approx(50.0), "党史": pytest.approx(40.0)}  # (3 + 2)/10 and 2/5
    members = analysis.mastery(exam, by="member")
    assert len(members) == 10  # five members × two knowledge points


def test_analysis_of_another_scope_counts_only_its_attempts(taken, cast):
    exam, _qs = taken
    assert analysis.exam_statistics(exam, [cast.branch_b.path]).n == 0
    assert analysis.exam_statistics(exam, [cast.branch_a.path]).n == 5


def test_sorted_pair_sum_merges_histograms():
    # x sorted 0,0,1,1,1 and o sorted 0,0,1,1,2 pair as 0·0 + 0·0 + 1·1 + 1·1 + 1·2 = 4
    assert sorted_pair_sum({0.0: 2, 1.0: 3}, {0.0: 2, 1.0: 2, 2.0: 1}) == 4
    assert sorted_pair_sum({}, {}) == 0
