"""The demo year of learning, called by ``seed_demo`` (``seed_demo(ctx)``) or ``manage.py learning_demo``.

A library of Party-study and job-skill resources (owned by the group, a few by subsidiaries), the four role
maps, and a year of study records in which members study what fits their post, their role and their
branch's habits — the history on which recommendations are evaluated (evaluation.py)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.orgs.models import ACTIVE_STATUSES, Member, Org

from . import search, textseg
from .models import (
    Category,
    Course,
    CourseItem,
    Dimension,
    LearnerRole,
    LearningMap,
    MapItem,
    Resource,
    StudyProgress,
    Tag,
)
from .uploads import reading_seconds

P, S, E = Dimension.POLITICAL, Dimension.SKILL, Dimension.ETHICS
L, A, SEC, M = LearnerRole.LEADER, LearnerRole.AFFAIRS, LearnerRole.SECRETARY, LearnerRole.MEMBER

# (category, dimension, roles, posts it suits, title patterns, subjects, sentences)
TOPICS: list[tuple[str, str, list[str], list[str], list[str], list[str], list[str]]] = [
    (
        "党章党规",
        P,
        [M],
        [],
        ["学习党章：{x}", "《中国共产党章程》{x}解读", "党章党规专题：{x}"],
        [
            "总纲",
            "党员的义务",
            "党员的权利",
            "党的组织制度",
            "党的纪律",
            "党的基层组织",
            "入党誓词",
            "党员的先锋模范作用",
        ],
        [
            "党章是党的根本大法，是全党必须共同遵守的根本行为规范。",
            "每名党员都要把学习党章作为必修课，做到学党章、守党章。",
            "{x}是党章的重要内容，要联系工作实际深入领会。",
        ],
    ),
    (
        "二十大精神",
        P,
        [M, L],
        [],
        ["深入学习贯彻党的二十大精神：{x}", "二十大报告专题辅导：{x}", "二十大精神进基层：{x}"],
        ["中国式现代化", "高质量发展", "全面从严治党", "科技自立自强", "人才强国", "安全发展", "绿色发展", "共同富裕"],
        [
            "党的二十大报告对{x}作出了战略部署。",
            "要把学习贯彻二十大精神同完成本单位改革发展任务结合起来。",
            "国有企业要在{x}中发挥顶梁柱作用。",
        ],
    ),
    (
        "党史学习",
        P,
        [M],
        [],
        ["党史故事：{x}", "百年党史中的{x}", "学党史悟思想：{x}"],
        ["南湖红船", "遵义会议", "长征精神", "延安精神", "西柏坡", "改革开放", "抗美援朝", "脱贫攻坚"],
        ["学史明理、学史增信、学史崇德、学史力行。", "{x}是党的宝贵精神财富。", "从党史中汲取智慧和力量。"],
    ),
    (
        "支部工作",
        S,
        [SEC, A],
        [],
        ["支部书记履职指南：{x}", "三会一课规范化：{x}", "支部工作实务：{x}"],
        ["支委会", "支部党员大会", "主题党日", "组织生活会", "民主评议党员", "谈心谈话", "党小组会", "支部换届"],
        [
            "{x}要严格按照《中国共产党支部工作条例（试行）》执行。",
            "支部书记是支部建设的第一责任人。",
            "三会一课是党的组织生活的基本制度。",
        ],
    ),
    (
        "党务实务",
        S,
        [A, SEC],
        [],
        ["党务工作者实务：{x}", "发展党员工作流程：{x}", "党务工作手册：{x}"],
        ["党费收缴", "组织关系转接", "发展党员", "党员档案管理", "流动党员管理", "党内统计", "党员教育培训"],
        ["{x}要做到程序规范、材料齐全。", "党务工作者要熟悉党内法规，提高业务水平。", "{x}是基层党务工作的重点。"],
    ),
    (
        "治企兴企",
        P,
        [L],
        ["部长", "经理", "主任"],
        ["国有企业党委{x}", "把方向管大局保落实：{x}", "领导班子专题：{x}"],
        [
            "前置研究讨论重大事项",
            "党建与生产经营深度融合",
            "国企改革深化提升",
            "董事会建设",
            "主体责任清单",
            "选人用人",
        ],
        ["国有企业党委发挥把方向、管大局、保落实的领导作用。", "{x}是完善中国特色现代企业制度的关键。"],
    ),
    (
        "安全生产",
        S,
        [M],
        ["安全员", "班组长", "车工", "钳工", "焊工", "驾驶员", "运行值班员", "检修工", "装配工", "设备员"],
        ["安全生产法解读：{x}", "{x}安全操作规程", "安全生产月专题：{x}"],
        ["危险作业", "有限空间作业", "动火作业", "高处作业", "隐患排查治理", "应急救援", "交通安全", "电气安全"],
        ["安全生产责任重于泰山。", "{x}必须严格执行审批制度和现场监护。", "党员要在安全生产中当先锋、作表率。"],
    ),
    (
        "数字化技能",
        S,
        [M],
        ["软件工程师", "测试工程师", "产品经理", "架构师", "研究员", "项目经理", "工程师", "数据"],
        ["{x}入门", "数字化转型实践：{x}", "{x}与数据安全"],
        ["Python 数据分析", "AI 大模型应用", "大数据平台", "网络安全", "云计算", "Excel 高效办公", "数字孪生"],
        ["{x}是企业数字化转型的重要工具。", "学习 {x} 要从实际业务场景出发。", "数据安全是数字化的底线。"],
    ),
    (
        "财务金融",
        S,
        [M],
        ["会计", "结算员", "分析师", "客户经理", "风控专员", "理财经理", "财务"],
        ["财务实务：{x}", "{x}风险防控", "金融知识：{x}"],
        ["预算管理", "成本控制", "资金安全", "风险合规", "税务筹划", "内部审计"],
        ["{x}关系企业经营成果。", "财会人员要坚持原则、依法理财。"],
    ),
    (
        "客户服务",
        S,
        [M],
        ["客服专员", "营业员", "客户经理", "配送主管", "调度员"],
        ["优质服务：{x}", "{x}服务规范", "窗口服务：{x}"],
        ["服务礼仪", "投诉处理", "客户沟通", "群众工作方法", "服务标准化"],
        ["{x}体现党员先锋岗的服务水平。", "用心用情为群众和客户办实事。"],
    ),
    (
        "职业道德",
        E,
        [M],
        [],
        ["职业道德修养：{x}", "职业道德讲堂：{x}", "在岗位上践行{x}"],
        ["诚实守信", "爱岗敬业", "办事公道", "奉献社会", "劳模精神", "工匠精神", "团结协作"],
        ["{x}是职业道德的基本要求。", "党员要在职业道德上作表率。"],
    ),
    (
        "廉洁教育",
        E,
        [M, L],
        [],
        ["廉洁从业警示教育：{x}", "中央八项规定精神：{x}", "廉政教育：{x}"],
        ["违规收送礼品礼金", "公车私用", "违规吃喝", "利益冲突", "廉洁家风", "典型案例剖析"],
        ["全面从严治党永远在路上。", "要以案为鉴、以案促改，筑牢拒腐防变的思想防线。", "{x}是纪律审查中的常见问题。"],
    ),
]
PER_TOPIC = 20


def _resources(
    rng: random.Random, root: Org, subsidiaries: list[Org], author: User | None, now: dt.datetime
) -> list[Resource]:
    categories = {
        name: Category.objects.get_or_create(name=name, defaults={"sort": i})[0] for i, (name, *_r) in enumerate(TOPICS)
    }
    out = []
    for t_index, (cat, dim, roles, posts, patterns, subjects, sentences) in enumerate(TOPICS):
        for i in range(PER_TOPIC):
            x = subjects[i % len(subjects)]
            title = patterns[i % len(patterns)].format(x=x)
            if i >= len(subjects):
                title += f"（{['一', '二', '三'][i // len(subjects) % 3]}）"
            paras = [
                rng.choice(sentences).format(x=x) + rng.choice(sentences).format(x=x) for _ in range(rng.randint(3, 6))
            ]
            body = "".join(f"<p>{p}</p>" for p in paras)
            owner = root if rng.random() < 0.85 or not subsidiaries else rng.choice(subsidiaries)
            kind = Resource.Kind.VIDEO if i % 5 == 4 else Resource.Kind.ARTICLE
            published = now - dt.timedelta(days=400 - t_index * 3 - i)
            r = Resource(
                org=owner,
                org_path=owner.path,
                status=Resource.Status.PUBLISHED,
                kind=kind,
                title=title[:200],
                summary=paras[0][:120],
                body=body if kind == Resource.Kind.ARTICLE else "",
                transcript="\n".join(paras) if kind == Resource.Kind.VIDEO else "",
                duration=rng.choice([600, 900, 1200, 1800])
                if kind == Resource.Kind.VIDEO
                else reading_seconds("".join(paras)),
                category=categories[cat],
                dimension=dim,
                target_roles=" ".join(roles),
                created_by=author,
                created_at=published,
                published_at=published,
                reviewed_at=published,
            )
            r._demo = (t_index, i, posts, x)  # type: ignore[attr-defined]
            tags = [cat, x.split()[0][:32]]
            r.tokens = " ".join(textseg.topic_terms(" ".join([title] * 3 + tags + paras)))
            r._tags = tags  # type: ignore[attr-defined]
            out.append(r)
    Resource.objects.bulk_create(out, batch_size=500)
    tag_ids = {}
    for name in sorted({n for r in out for n in r._tags}):  # type: ignore[attr-defined]
        tag_ids[name] = Tag.objects.get_or_create(name=name)[0].pk
    Resource.tags.through.objects.bulk_create(
        [Resource.tags.through(resource_id=r.pk, tag_id=tag_ids[n]) for r in out for n in dict.fromkeys(r._tags)],  # type: ignore[attr-defined]
        ignore_conflicts=True,
    )
    rows = []
    for r in out:
        text = textseg.html_to_text(r.body) + "\n" + r.transcript
        kw = " ".join(r._tags)  # type: ignore[attr-defined]
        rows.append(
            (
                r.pk,
                textseg.segmented(r.title),
                textseg.segmented(kw),
                textseg.segmented(r.summary + "\n" + text),
                textseg.extra_subwords(" ".join((r.title, kw, text))),
            )
        )
    search.index_rows(rows)
    return out


def _maps(root: Org, resources: list[Resource], author: User | None) -> dict[str, set[int]]:
    """One map per role at the group: required items of its topics in each dimension, electives beside them."""
    required: dict[str, set[int]] = defaultdict(set)
    by_topic: dict[int, list[Resource]] = defaultdict(list)
    for r in resources:
        by_topic[r._demo[0]].append(r)  # type: ignore[attr-defined]
    titles = {L: "党委领导班子学习地图", A: "党务工作者学习地图", SEC: "支部书记学习地图", M: "党员学习地图"}
    for role, title in titles.items():
        lm = LearningMap.objects.create(org=root, org_path=root.path, role=role, title=title, created_by=author)
        items, pos = [], 0
        for t_index, (_cat, dim, roles, posts, *_rest) in enumerate(TOPICS):
            if role not in roles or posts:
                continue
            for j, r in enumerate(by_topic[t_index][:6]):
                items.append(MapItem(map=lm, resource=r, dimension=dim, required=j < 3, position=pos))
                pos += 1
                if j < 3:
                    required[role].add(r.pk)
        MapItem.objects.bulk_create(items)
    return required


def seed_demo(ctx: Any) -> None:
    """Build the library, maps, a course and a year of study records on the demo enterprise."""
    rng = ctx.rng("learning") if hasattr(ctx, "rng") else random.Random(f"learning:{ctx.seed}")
    root = Org.objects.get(pk=ctx.root_org_id)
    subsidiaries = list(Org.objects.filter(depth=2, kind=Org.Kind.COMMITTEE).order_by("path")[:6])
    author = ctx.users.get("committee")
    now = timezone.make_aware(dt.datetime.combine(ctx.today, dt.time(9, 0)))
    resources = _resources(rng, root, subsidiaries, author, now)
    required = _maps(root, resources, author)
    course = Course.objects.create(
        org=root,
        org_path=root.path,
        status=Course.Status.PUBLISHED,
        title="新党员入门必修课",
        description="党章、党史和入党誓词：新党员第一年的必修内容。",
        rule=Course.Rule.ALL,
        dimension=P,
        target_roles=M,
        created_by=author,
        published_at=now,
        reviewed_at=now,
    )
    firsts = [r for r in resources if r._demo[0] in (0, 2) and r._demo[1] < 3]  # type: ignore[attr-defined]
    CourseItem.objects.bulk_create([CourseItem(course=course, resource=r, position=i) for i, r in enumerate(firsts)])
    _history(ctx, rng, resources, required, now, course_items=firsts)
    analyze()


def analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL plans a search join on them)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            for table in ("learning_resource", "learning_studyprogress", "learning_search_doc", "learning_mapitem"):
                c.execute(f"ANALYZE {table}")


def _history(
    ctx: Any,
    rng: random.Random,
    resources: list[Resource],
    required: dict[str, set[int]],
    now: dt.datetime,
    course_items: list[Resource],
) -> None:
    by_topic: dict[int, list[Resource]] = defaultdict(list)
    for r in resources:
        by_topic[r._demo[0]].append(r)  # type: ignore[attr-defined]
    post_topics = [(t, posts) for t, (*_a, posts, _p, _s, _x) in enumerate(TOPICS) if posts]
    branch_theme: dict[int, list[int]] = {}
    per_member = 9 if ctx.members <= 100_000 else 4
    members = (
        Member.objects.filter(status__in=ACTIVE_STATUSES)
        .order_by("id")
        .values_list("id", "org_id", "org_path", "job_title")
    )
    rows: list[tuple[Any, ...]] = []
    fields = [
        "member_id",
        "resource_id",
        "position",
        "furthest",
        "study_ms",
        "flushed_ms",
        "started_at",
        "last_studied_at",
        "completed_at",
    ]
    writer = getattr(ctx, "writer", None)

    def flush() -> None:
        if writer is not None:
            writer.insert(StudyProgress, fields, rows)
        else:
            StudyProgress.objects.bulk_create(
                [StudyProgress(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=5000
            )
        rows.clear()

    for mid, org_id, path, job in members.iterator(chunk_size=10_000):
        theme = branch_theme.setdefault(org_id, rng.sample(range(len(TOPICS)), 2))
        mine = [t for t, posts in post_topics if any(p in (job or "") for p in posts)]
        visible = [r for r in resources if path.startswith(r.org_path)]
        if not visible:
            continue
        chosen: dict[int, Resource] = {}
        for _ in range(rng.randint(max(1, per_member - 6), per_member + 4)):
            roll = rng.random()
            topic = (
                rng.choice(mine)
                if mine and roll < 0.35
                else rng.choice(theme)
                if roll < 0.65
                else rng.choice([0, 1, 2, 10, 11])
                if roll < 0.9
                else rng.randrange(len(TOPICS))
            )
            pool = [r for r in by_topic[topic] if path.startswith(r.org_path)]
            if not pool:
                continue
            # Series are studied in order, popular items more often: the first items of a topic lead.
            k = min(int(rng.paretovariate(1.3)) - 1, len(pool) - 1)
            nxt = next((r for r in pool[k:] if r.pk not in chosen), None)
            if nxt is not None:
                chosen[nxt.pk] = nxt
        if rng.random() < 0.5:
            for rid in rng.sample(sorted(required[M]), k=min(2, len(required[M]))):
                chosen.setdefault(rid, next(r for r in resources if r.pk == rid))
        days = sorted(rng.randint(1, 360) for _ in chosen)
        for (rid, r), ago in zip(chosen.items(), reversed(days), strict=False):
            frac = 1.0 if rng.random() < 0.6 else rng.uniform(0.1, 0.9)
            at = now - dt.timedelta(days=ago, minutes=rng.randint(0, 600))
            ms = int(r.duration * frac * 1000 * rng.uniform(0.9, 1.2))
            done = at + dt.timedelta(seconds=r.duration) if frac >= 1.0 else None
            rows.append(
                (
                    mid,
                    rid,
                    r.duration * frac,
                    r.duration * frac,
                    ms,
                    ms,
                    at,
                    at + dt.timedelta(seconds=r.duration * frac),
                    done,
                )
            )
        if len(rows) >= 20_000:
            flush()
    flush()
    _demo_member_course(ctx, course_items, now)


def _demo_member_course(ctx: Any, course_items: list[Resource], now: dt.datetime) -> None:
    """The demo member has the starter course in progress today: the first item done, the second half watched."""
    user = ctx.users.get("member")
    member = Member.objects.filter(user=user).first() if user is not None else None
    if member is None or len(course_items) < 2:
        return
    StudyProgress.objects.filter(member=member, resource__in=course_items).delete()
    first, second = course_items[0], course_items[1]
    StudyProgress.objects.bulk_create(
        [
            StudyProgress(
                member=member,
                resource=first,
                position=first.duration,
                furthest=first.duration,
                study_ms=first.duration * 1000,
                flushed_ms=first.duration * 1000,
                started_at=now - dt.timedelta(days=2),
                last_studied_at=now - dt.timedelta(days=2),
                completed_at=now - dt.timedelta(days=2),
            ),
            StudyProgress(
                member=member,
                resource=second,
                position=second.duration // 2,
                furthest=second.duration // 2,
                study_ms=second.duration * 500,
                flushed_ms=second.duration * 500,
                started_at=now - dt.timedelta(days=1),
                last_studied_at=now - dt.timedelta(days=1),
            ),
        ]
    )
