"""Demo member work for ``seed_demo``: a development case for each person in the pipeline, consistent with the
key dates of their record (some steps left late so the board has overdue work), and two transfers waiting on
the demo committee and the demo secretary. Call ``seed_demo(ctx)`` with the seeder's DemoContext."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db.models import Case, Count, IntegerField, Max, Min, Value, When
from django.utils import timezone

from .development import next_deadline
from .models import Member, MemberStatus, Org
from .models_development import DevelopmentCase, DevelopmentContact, DevelopmentStep
from .models_transfer import Transfer, TransferEvent
from .timing import add_months

MAX_CASES = 20_000  # the board needs realistic numbers, not every person of a million-member group
BATCH = 2_000
PIPELINE = [MemberStatus.APPLICANT, MemberStatus.ACTIVIST, MemberStatus.CANDIDATE, MemberStatus.PROBATIONARY]


def _d(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def _plan(
    rng: random.Random, status: str, dates: dict[str, dt.date | None], today: dt.date
) -> list[tuple[int, dt.date]]:
    """(step, date) done so far for one person, never after ``today`` and never contradicting the record."""
    app = dates["application"] or today
    steps = [(1, app)]
    if status == MemberStatus.APPLICANT:
        if (today - app).days > 20 and rng.random() < 0.7:
            steps.append((2, _d(app, rng.randint(5, 28))))
        return steps
    act = dates["activist"] or _d(app, 40)
    steps += [(2, _d(app, min(20, max(1, (act - app).days // 2)))), (3, act)]
    cand = dates["candidate"]
    end = cand or today
    for n, days in ((4, 7), (5, 14)):
        if _d(act, days) <= min(end, today):
            steps.append((n, _d(act, days)))
    k, last = 1, act
    while add_months(act, 6 * k) - dt.timedelta(days=10) < min(end, today) and (
        cand is not None or rng.random() < 0.85
    ):
        last = add_months(act, 6 * k) - dt.timedelta(days=rng.randint(0, 20))
        steps.append((6, last))
        k += 1
    if status == MemberStatus.ACTIVIST or cand is None:
        return steps
    steps.append((7, cand))
    prob = dates["probationary"]
    if status == MemberStatus.CANDIDATE:
        for n, days in ((8, 10), (9, 20), (10, 40), (11, 60), (12, 75), (13, 90), (14, 100)):
            if _d(cand, days) > today or rng.random() < 0.12:
                break
            steps.append((n, _d(cand, days)))
        return steps
    prob = prob or today
    span = max(8, (prob - cand).days)
    steps += [(n, _d(cand, span * (n - 7) // 8)) for n in range(8, 15)] + [(15, prob)]
    steps += [(16, min(_d(prob, 10), today)), (17, min(_d(prob, rng.randint(20, 80)), today))]
    approved = steps[-1][1]
    for n, days in ((18, 10), (19, 15), (20, 30), (21, 90)):
        if _d(approved, days) > today:
            break
        steps.append((n, _d(approved, days)))
    return steps


def seed_demo(ctx: Any) -> dict[str, int]:
    rng = random.Random(f"orgs.development:{ctx.seed}:{ctx.members}")
    today = ctx.today
    people = list(
        Member.objects.filter(pk__range=(ctx.first_member_id, ctx.last_member_id), status__in=PIPELINE)
        .annotate(
            first=Case(
                When(org_id=ctx.secretary_branch_id, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("first", "id")
        .values_list(
            "id",
            "org_id",
            "org_path",
            "status",
            "application_date",
            "activist_date",
            "candidate_date",
            "probationary_date",
        )[:MAX_CASES]
    )
    org_ids = {p[1] for p in people}
    full = {
        r["org_id"]: r
        for r in Member.objects.filter(org_id__in=org_ids, status=MemberStatus.FULL)
        .values("org_id")
        .annotate(lo=Min("id"), hi=Max("id"), n=Count("id"))
        .order_by()
    }
    committees = dict(Org.objects.filter(kind=Org.Kind.COMMITTEE).values_list("path", "id"))
    secretary = ctx.users.get("secretary")
    cases = steps = 0
    for start in range(0, len(people), BATCH):
        chunk = people[start : start + BATCH]
        plans = [
            _plan(rng, p[3], {"application": p[4], "activist": p[5], "candidate": p[6], "probationary": p[7]}, today)
            for p in chunk
        ]
        rows = []
        for p, plan in zip(chunk, plans, strict=True):
            case = DevelopmentCase(member_id=p[0], current_step=max(n for n, _ in plan), started_by=secretary)
            case.due_step, case.due_on = next_deadline(case, {n: DevelopmentStep(number=n, done_on=d) for n, d in plan})
            rows.append(case)
        DevelopmentCase.objects.bulk_create(rows)
        step_rows, contacts = [], []
        for p, plan, case in zip(chunk, plans, rows, strict=True):
            f = full.get(p[1])
            approver = next(
                (
                    committees[p[2][:i]]
                    for i in range(len(p[2]) - Org.steplen, 0, -Org.steplen)
                    if p[2][:i] in committees
                ),
                None,
            )
            for n, day in plan:
                extra: dict[str, Any] = {}
                if n == 11:
                    extra = {"class_hours": 24, "training_days": 3}
                elif n == 12:
                    extra = {"notice_from": _d(day, 1), "notice_to": _d(day, 7)}
                elif n == 15 and f:
                    extra = {
                        "should_attend": f["n"],
                        "present": f["n"] * 4 // 5 + 1,
                        "yes": f["n"] * 4 // 5 + 1,
                        "no": 0,
                        "abstain": 0,
                    }
                elif n == 17:
                    extra = {"approver_org_id": approver}
                step_rows.append(
                    DevelopmentStep(
                        case=case,
                        number=n,
                        done_on=day,
                        done_by=secretary,
                        done_by_name=getattr(secretary, "name", ""),
                        **extra,
                    )
                )
                if n in (5, 9) and f and f["lo"] != f["hi"]:
                    role = DevelopmentContact.Role.MENTOR if n == 5 else DevelopmentContact.Role.SPONSOR
                    contacts += [
                        DevelopmentContact(case=case, member_id=m, role=role, assigned_on=day)
                        for m in (f["lo"], f["hi"])
                    ]
        DevelopmentStep.objects.bulk_create(step_rows)
        DevelopmentContact.objects.bulk_create(contacts)
        cases, steps = cases + len(rows), steps + len(step_rows)
    return {"cases": cases, "steps": steps, "transfers": _transfers(ctx)}


def _transfers(ctx: Any) -> int:
    """One transfer out of the secretary's branch awaiting the committee, one into it awaiting the secretary."""
    home = Org.objects.get(pk=ctx.secretary_branch_id)
    others = Org.objects.filter(kind=Org.Kind.BRANCH, is_cloud=False, is_temporary=False).exclude(
        path__startswith=home.path[: 2 * Org.steplen]
    )
    other = others.order_by("path").first()
    if other is None:
        return 0

    def someone(branch: Org) -> Member | None:
        demo = [u.pk for u in ctx.users.values() if u is not None]
        return (
            Member.objects.filter(org_path__startswith=branch.path, status=MemberStatus.FULL)
            .exclude(user_id__in=demo)
            .order_by("-id")
            .first()
        )

    leaving, coming = someone(home), someone(other)
    made = 0
    now = timezone.now()
    for member, src, dst, status in (
        (leaving, home, other, Transfer.Status.PENDING_APPROVAL),
        (coming, other, home, Transfer.Status.PENDING_ACCEPTANCE),
    ):
        approver = src.get_ancestors().filter(kind=Org.Kind.COMMITTEE).order_by("-depth").first()
        if member is None or approver is None:
            continue
        t = Transfer.objects.create(
            kind=Transfer.Kind.INTERNAL,
            status=status,
            member=member,
            from_org=src,
            from_path=src.path,
            to_org=dst,
            to_path=dst.path,
            approver_org=approver,
            approver_path=approver.path,
            reason="工作调动",
            requested_on=ctx.today - dt.timedelta(days=3),
        )
        TransferEvent.objects.create(transfer=t, action=TransferEvent.Action.REQUESTED, actor_name=member.name)
        if status == Transfer.Status.PENDING_ACCEPTANCE:
            TransferEvent.objects.create(transfer=t, action=TransferEvent.Action.APPROVED, actor_name=approver.name)
        TransferEvent.objects.filter(transfer=t).update(at=now - dt.timedelta(days=3))
        made += 1
    return made
