"""The demo year of exams, called by ``seed_demo`` (``seed_demo(ctx)``): a group question bank on the Party
constitution and rules, a random paper, an exam open now for every member, two past exams taken by a sample of
members (with their facts), a weekly competition and a challenge. Deterministic for a given seed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import facts_record_bulk
from dangjian.orgs.models import ACTIVE_STATUSES, Member, Org

from . import competitions, papers, services
from .bank import bank_create, parse_content, question_create
from .grading import score as grade
from .models import Attempt, AttemptQuestion, Exam, Question

GOALS = ["实现共产主义", "全面建成小康社会", "实现社会主义现代化", "实现中华民族伟大复兴"]
# (type, category, difficulty, stem, options, answer, explanation, knowledge points)
QUESTIONS: list[tuple[str, str, int, str, list[str], str, str, str]] = [
    (
        "single",
        "党章/总纲",
        1,
        "党的最高理想和最终目标是？",
        GOALS,
        "A",
        "党章总纲：党的最高理想和最终目标是实现共产主义。",
        "党的性质和宗旨",
    ),
    (
        "single",
        "党章/总纲",
        1,
        "中国共产党的根本宗旨是？",
        ["全心全意为人民服务", "发展社会生产力", "实现共同富裕", "维护社会稳定"],
        "A",
        "",
        "党的性质和宗旨",
    ),
    (
        "single",
        "党章/总纲",
        2,
        "党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。",
        ["实事求是", "解放思想", "与时俱进", "求真务实"],
        "A",
        "",
        "党的思想路线",
    ),
    (
        "single",
        "党章/党员",
        2,
        "预备党员的预备期为？",
        ["半年", "一年", "两年", "三年"],
        "B",
        "党章第七条：预备党员的预备期为一年。",
        "党员发展",
    ),
    (
        "single",
        "党章/党员",
        2,
        "党员的党龄从何时算起？",
        ["递交入党申请书之日", "支部大会通过其为预备党员之日", "预备期满转为正式党员之日", "上级党委批准之日"],
        "C",
        "党章第八条：党员的党龄，从预备期满转为正式党员之日算起。",
        "党员发展",
    ),
    (
        "single",
        "党章/党员",
        3,
        "党员没有正当理由，连续____不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。",
        ["三个月", "六个月", "九个月", "一年"],
        "B",
        "党章第九条。",
        "党员义务",
    ),
    (
        "single",
        "党章/纪律",
        3,
        "党的纪律处分有几种？",
        ["三种", "四种", "五种", "六种"],
        "C",
        "警告、严重警告、撤销党内职务、留党察看、开除党籍。",
        "党的纪律",
    ),
    (
        "single",
        "支部工作",
        2,
        "正式党员多少人以上的党支部，设立党支部委员会？",
        ["3人", "5人", "7人", "10人"],
        "C",
        "",
        "支部建设",
    ),
    ("single", "支部工作", 2, "党支部委员会每届任期一般为？", ["2年", "3年", "4年", "5年"], "B", "", "支部建设"),
    (
        "single",
        "支部工作/三会一课",
        1,
        "党支部党员大会一般每____召开一次？",
        ["月", "季度", "半年", "年"],
        "B",
        "",
        "组织生活",
    ),
    (
        "single",
        "支部工作/三会一课",
        1,
        "党小组会一般每____召开一次？",
        ["月", "季度", "半年", "年"],
        "A",
        "",
        "组织生活",
    ),
    (
        "single",
        "支部工作/三会一课",
        2,
        "党支部委员会会议一般每____召开一次？",
        ["月", "季度", "半年", "年"],
        "A",
        "",
        "组织生活",
    ),
    (
        "single",
        "党规/党费",
        3,
        "在职党员每月工资收入（税后）3000元以下（含）的，每月交纳党费的比例为？",
        ["0.5%", "1%", "1.5%", "2%"],
        "A",
        "中组发〔2008〕3号。",
        "党费",
    ),
    ("single", "党史", 1, "中国共产党成立于哪一年？", ["1919年", "1921年", "1927年", "1949年"], "B", "", "党史"),
    (
        "multiple",
        "支部工作/三会一课",
        1,
        "“三会一课”中的“三会”包括？",
        ["支部党员大会", "支部委员会", "党小组会", "职工代表大会"],
        "ABC",
        "",
        "组织生活",
    ),
    (
        "multiple",
        "党章/纪律",
        2,
        "下列属于党的纪律处分的有？",
        ["警告", "严重警告", "留党察看", "罚款"],
        "ABC",
        "",
        "党的纪律",
    ),
    (
        "multiple",
        "理论",
        2,
        "“四个意识”包括？",
        ["政治意识", "大局意识", "核心意识", "看齐意识", "责任意识"],
        "ABCD",
        "",
        "理论学习",
    ),
    (
        "multiple",
        "理论",
        2,
        "“四个自信”包括？",
        ["道路自信", "理论自信", "制度自信", "文化自信", "能力自信"],
        "ABCD",
        "",
        "理论学习",
    ),
    (
        "judge",
        "党章/党员",
        1,
        "预备党员有表决权、选举权和被选举权。",
        [],
        "错",
        "预备党员的权利，除了没有表决权、选举权和被选举权以外，同正式党员一样。",
        "党员发展",
    ),
    ("judge", "党规/党费", 1, "党员应当按月交纳党费。", [], "对", "", "党费"),
    (
        "judge",
        "支部工作",
        2,
        "有表决权的到会党员超过应到会人数的半数，方可召开支部党员大会。",
        [],
        "对",
        "",
        "支部建设",
    ),
    ("judge", "支部工作", 1, "民主评议党员一般每年开展一次。", [], "对", "", "组织生活"),
    ("judge", "党章/党员", 1, "党员可以不参加党的组织生活。", [], "错", "", "党员义务"),
    (
        "blank",
        "党章/总纲",
        1,
        "中国共产党是中国____的先锋队，同时是中国人民和中华民族的先锋队。",
        [],
        "工人阶级|中国工人阶级",
        "",
        "党的性质和宗旨",
    ),
    ("blank", "党史", 1, "中国共产党成立于____年。", [], "1921|一九二一", "", "党史"),
    ("blank", "支部工作/三会一课", 1, "“三会一课”中的“一课”是指按时上好____。", [], "党课", "", "组织生活"),
    ("blank", "党章/总纲", 1, "党的最高理想和最终目标是实现____。", [], "共产主义", "", "党的性质和宗旨"),
]
RULES = [("single", 8, 5), ("multiple", 3, 10), ("judge", 4, 5), ("blank", 2, 5)]  # 17 questions, 100 points
PAST_TAKERS = 3000


def seed_demo(ctx: Any) -> None:
    rng = ctx.rng("exams") if hasattr(ctx, "rng") else random.Random(f"exams:{ctx.seed}")
    root = Org.objects.get(pk=ctx.root_org_id)
    author = ctx.users.get("committee")
    bank = bank_create(
        org=root, name="党章党规知识题库", acting_user=author, description="党章、党规、支部工作和党史的基础题。"
    )
    new_id = lambda: f"{rng.getrandbits(32):08x}"  # noqa: E731  (deterministic option ids)
    for qtype, category, difficulty, stem, options, answer, explanation, kps in QUESTIONS:
        content, errors = parse_content(
            {
                "type": qtype,
                "category": category,
                "difficulty": difficulty,
                "stem": stem,
                "options": options,
                "answer": answer,
                "explanation": explanation,
                "knowledge_points": kps,
            },
            new_id=new_id,
        )
        assert content is not None, errors
        question_create(bank=bank, content=content, acting_user=author, audited=False)
    paper = papers.paper_save_random(
        bank=bank,
        org=root,
        name="党章党规知识测试卷",
        acting_user=author,
        rules=[papers.RuleSpec(type=t, count=c, points=Decimal(p)) for t, c, p in RULES],
    )
    now = timezone.make_aware(dt.datetime.combine(ctx.today, dt.time(9, 0)))
    common = {
        "org": root,
        "paper": paper,
        "acting_user": author,
        "time_limit_minutes": 30,
        "attempts_allowed": 2,
        "review_policy": Exam.Review.AFTER_SUBMIT,
        "multiple_partial": Exam.Partial.HALF,
    }
    current = services.exam_save(
        title=f"{ctx.today.year}年第{(ctx.today.month - 1) // 3 + 1}季度党章党规知识测试",
        opens_at=now - dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=12),
        **common,
    )
    current.status, current.published_at = Exam.Status.PUBLISHED, now - dt.timedelta(days=2)
    current.save(update_fields=["status", "published_at"])
    for months_ago in (6, 3):
        opens = now - dt.timedelta(days=30 * months_ago)
        past = services.exam_save(
            title=f"{timezone.localtime(opens):%Y年%m月}支部工作知识测试",
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=14),
            **common,
        )
        past.status, past.published_at = Exam.Status.PUBLISHED, opens
        past.save(update_fields=["status", "published_at"])
        _past_attempts(past, rng, opens + dt.timedelta(days=3))
    competitions.competition_save(
        org=root,
        acting_user=author,
        title="党章党规每周一测",
        kind="recurring",
        recurrence="weekly",
        paper=paper,
        time_limit_minutes=15,
        description="每周一套随机题，看看各支部的学习成效。",
    )
    competitions.competition_save(
        org=root,
        acting_user=author,
        title="挑战答题：一题不错",
        kind="challenge",
        bank=bank,
        seconds_per_question=30,
        description="连续答对越多越好，答错即止。",
    )


def _past_attempts(exam: Exam, rng: random.Random, when: dt.datetime) -> None:
    """A sample of members took it: synthetic attempts written in bulk, with their scores as facts."""
    pools = {
        t: list(
            Question.objects.filter(bank=exam.paper.bank_id, type=t)
            .order_by("id")
            .values_list("id", "current_version_id", "current_version__answer", "current_version__options")
        )
        for t, _c, _p in RULES
    }
    members = list(
        Member.objects.filter(status__in=ACTIVE_STATUSES, org_path__startswith=exam.org_path)
        .order_by("id")
        .values_list("id", "org_id", "org_path")[: PAST_TAKERS * 3]
    )
    takers = sorted(rng.sample(members, min(PAST_TAKERS, len(members))))
    attempts = [
        Attempt(
            exam=exam,
            member_id=m,
            org_id=o,
            org_path=p,
            status=Attempt.Status.SUBMITTED,
            started_at=when,
            deadline=when + dt.timedelta(minutes=30),
            submitted_at=when + dt.timedelta(minutes=20),
            max_score=Decimal(100),
            counts=True,
            answers={},
        )
        for m, o, p in takers
    ]
    Attempt.objects.bulk_create(attempts, batch_size=2000)
    rows, facts = [], []
    for a in attempts:
        ability = rng.betavariate(5, 2)  # most members know most of it
        answers: dict[str, Any] = {}
        total = Decimal(0)
        slot = 0
        for t, c, p in RULES:
            for qid, vid, answer, options in rng.sample(pools[t], c):
                if rng.random() < ability:
                    answers[str(qid)] = answer[0][0] if t == "blank" else answer
                got = grade(points=Decimal(p), type=t, answer=answer, options=options, response=answers.get(str(qid)))
                order = [o["id"] for o in options]
                rng.shuffle(order)
                rows.append(
                    AttemptQuestion(
                        attempt_id=a.pk,
                        question_id=qid,
                        version_id=vid,
                        slot=slot,
                        position=slot,
                        points=Decimal(p),
                        option_order=order,
                        score=got,
                    )
                )
                total += got
                slot += 1
        a.answers, a.score, a.passed = answers, total, total >= exam.pass_percent
        base = {
            "member_id": a.member_id,
            "org_id": a.org_id,
            "org_path": a.org_path,
            "occurred_at": a.submitted_at,
            "source_type": "exams.attempt",
            "source_id": str(a.pk),
        }
        facts.append(base | {"kind": FactKind.EXAM_SCORE, "quantity": total})
        if a.passed:
            facts.append(base | {"kind": FactKind.EXAM_PASSED, "quantity": Decimal(1)})
    AttemptQuestion.objects.bulk_create(rows, batch_size=5000)
    Attempt.objects.bulk_update(attempts, ["answers", "score", "passed"], batch_size=1000)
    facts_record_bulk(facts)
