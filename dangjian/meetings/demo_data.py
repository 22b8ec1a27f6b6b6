"""Demo history for organisational life (called by seed_demo): a year of meetings per branch with attendance,
some deliberately missing so the compliance grid has red and yellow, and an upcoming meeting for everyone."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from dangjian.analytics.models import Fact, FactKind
from dangjian.orgs.models import Member, Org, OrgPost

from .models import Attendance, Meeting, MeetingType

TOPICS: dict[str, list[str]] = {
    MeetingType.THEME_DAY: [
        "重温入党誓词",
        "学习贯彻党的二十大精神",
        "志愿服务进社区",
        "参观红色教育基地",
        "安全生产主题党日",
        "岗位建功主题实践",
    ],
    MeetingType.GENERAL: ["学习传达上级精神", "讨论发展对象", "年度工作总结"],
    MeetingType.COMMITTEE: ["研究本月党建工作", "研究党员发展工作", "部署主题党日活动"],
    MeetingType.LECTURE: ["学习新党章", "弘扬伟大建党精神", "新时代国企党建"],
    MeetingType.GROUP: ["交流学习体会", "开展批评与自我批评"],
    MeetingType.ORG_LIFE: ["年度组织生活会"],
}
PLACES = ["公司三楼党员活动室", "行政楼第一会议室", "生产车间会议室", "线上会议"]
ATTENDANCE_SQL = """
INSERT INTO {att} (meeting_id, member_id, can_vote, status, reason, signed_in_at, method)
SELECT mt.id, m.id, CASE WHEN m.status = 'full' THEN {true} ELSE {false} END,
       CASE WHEN mt.status = 'planned' THEN 'invited'
            WHEN (m.id + mt.id) %% 13 = 0 THEN 'leave'
            WHEN (m.id + mt.id) %% 29 = 0 THEN 'absent' ELSE 'present' END,
       CASE WHEN mt.status = 'held' AND (m.id + mt.id) %% 13 = 0 THEN '出差'
            WHEN mt.status = 'held' AND (m.id + mt.id) %% 29 = 0 THEN '生产值班' ELSE '' END,
       CASE WHEN mt.status = 'held' AND (m.id + mt.id) %% 13 <> 0 AND (m.id + mt.id) %% 29 <> 0 THEN mt.starts_at END,
       CASE WHEN mt.status = 'held' THEN 'qr' ELSE '' END
FROM {meeting} mt JOIN {member} m ON m.org_id = mt.org_id
WHERE mt.id >= %s AND mt.audience = 'branch' AND m.status IN ('full', 'probationary')
"""
FACT_SQL = """
INSERT INTO {fact} (member_id, org_id, org_path, kind, quantity, occurred_at, source_type, source_id)
SELECT a.member_id, mt.org_id, mt.org_path, %s, 1, mt.starts_at, 'meetings.meeting', CAST(mt.id AS VARCHAR(64))
FROM {att} a JOIN {meeting} mt ON mt.id = a.meeting_id WHERE mt.id >= %s AND a.status = 'present'
"""


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=timezone.get_default_timezone())


def seed(*, today: dt.date, members: int, seed: int = 1, out: Any = None) -> dict[str, int]:
    rng = random.Random(seed * 7 + 3)
    months = 12 if members <= 200_000 else 3
    branches = list(
        Org.objects.filter(kind__in=[Org.Kind.BRANCH, Org.Kind.GENERAL_BRANCH], is_cloud=False).order_by("path")
    )
    committees = set(
        OrgPost.objects.filter(ended_on__isnull=True)
        .values("org_id")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .values_list("org_id", flat=True)
    )
    groups: dict[str, list[Org]] = {}
    for g in Org.objects.filter(kind=Org.Kind.GROUP):
        groups.setdefault(g.path[: -Org.steplen], []).append(g)
    first_month = dt.date(today.year, today.month, 1)
    index0 = first_month.year * 12 + first_month.month - 1
    rows: list[Meeting] = []
    for bi, b in enumerate(branches):
        for back in range(months, -1, -1):
            index = index0 - back
            month = dt.date(index // 12, index % 12 + 1, 1)
            day = month + dt.timedelta(days=rng.randint(4, 24))
            past = day < today
            # About one branch in six forgets last month's theme day, one in four has no lecture yet this quarter.
            skip_theme = back == 1 and bi % 6 == 0
            if not skip_theme and (past or back == 0):
                rows.append(
                    _meeting(
                        b,
                        MeetingType.THEME_DAY,
                        day if past else max(today + dt.timedelta(days=3), day),
                        rng,
                        held=past,
                    )
                )
            if b.pk in committees and past:
                rows.append(
                    _meeting(
                        b,
                        MeetingType.COMMITTEE,
                        day - dt.timedelta(days=2),
                        rng,
                        held=True,
                        audience=Meeting.Audience.COMMITTEE,
                    )
                )
            for g in groups.get(b.path, []):
                if past:
                    rows.append(
                        _meeting(
                            b,
                            MeetingType.GROUP,
                            day + dt.timedelta(days=1),
                            rng,
                            held=True,
                            audience=Meeting.Audience.GROUP,
                            group=g,
                        )
                    )
            if month.month in (2, 5, 8, 11) and past:
                rows.append(_meeting(b, MeetingType.GENERAL, day + dt.timedelta(days=2), rng, held=True))
            if month.month in (3, 6, 9, 12) and past and not (bi % 4 == 0 and back < 3):
                rows.append(_meeting(b, MeetingType.LECTURE, day + dt.timedelta(days=3), rng, held=True))
            if month.month == 12 and past:
                rows.append(_meeting(b, MeetingType.ORG_LIFE, day + dt.timedelta(days=4), rng, held=True))
        # Something coming up for everyone: a general meeting (or lecture) in the next days.
        coming = MeetingType.GENERAL if bi % 2 == 0 else MeetingType.LECTURE
        rows.append(_meeting(b, coming, today + dt.timedelta(days=2 + bi % 5), rng, held=False))
    q = connection.ops.quote_name
    t = {
        "att": q(Attendance._meta.db_table),
        "meeting": q(Meeting._meta.db_table),
        "member": q(Member._meta.db_table),
        "fact": q(Fact._meta.db_table),
        "true": "TRUE" if connection.vendor == "postgresql" else "1",
        "false": "FALSE" if connection.vendor == "postgresql" else "0",
    }
    with transaction.atomic():
        first_id = (Meeting.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        Meeting.objects.bulk_create(rows, batch_size=5000)
        with connection.cursor() as cur:
            cur.execute(ATTENDANCE_SQL.format(**t), [first_id])
            attendances = cur.rowcount
            cur.execute(FACT_SQL.format(**t), [FactKind.MEETING_ATTENDED.value, first_id])
    _committee_attendance(first_id)
    if out is not None:
        out.write(f"  meetings: {len(rows):,} meetings, {attendances:,} attendance rows\n")
    return {"meetings": len(rows), "attendances": attendances}


def _meeting(
    org: Org,
    type_: str,
    day: dt.date,
    rng: random.Random,
    *,
    held: bool,
    audience: str = Meeting.Audience.BRANCH,
    group: Org | None = None,
) -> Meeting:
    topic = rng.choice(TOPICS[type_])
    return Meeting(
        org=org,
        org_path=org.path,
        type=type_,
        topic=topic,
        starts_at=_at(day, rng.choice([9, 14, 15])),
        place=rng.choice(PLACES),
        audience=audience,
        audience_group=group,
        status=Meeting.Status.HELD if held else Meeting.Status.PLANNED,
        minutes=f"会议由支部书记主持。{topic}。与会党员结合岗位实际进行了交流发言。" if held else "",
        agenda="一、集中学习\n二、交流发言\n三、部署下阶段工作",
    )


def _committee_attendance(first_id: int) -> None:
    """Committee meetings invite the committee (members holding a post), all present."""
    posts = list(OrgPost.objects.filter(ended_on__isnull=True).values_list("org_id", "member_id"))
    by_org: dict[int, list[int]] = {}
    for org_id, member_id in posts:
        by_org.setdefault(org_id, []).append(member_id)
    rows = [
        Attendance(
            meeting_id=m.pk,
            member_id=mid,
            can_vote=True,
            status=Attendance.Status.PRESENT,
            signed_in_at=m.starts_at,
            method="recorder",
        )
        for m in Meeting.objects.filter(id__gte=first_id, audience=Meeting.Audience.COMMITTEE).only(
            "id", "org_id", "starts_at"
        )
        for mid in by_org.get(m.org_id, [])
    ]
    Attendance.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


def seed_demo(ctx: Any) -> None:
    """The seed_demo hook: a year of meetings (three months above 200,000 members)."""
    seed(today=ctx.today, members=ctx.members, seed=ctx.seed, out=ctx.out)
