"""Competitions: recurring rounds (each round is an exam of the period, made when first needed) and challenge
mode (one question at a time, each within its seconds, until the first mistake); leaderboards by branch and,
only where the organiser turned it on, by person — ranked with RANK() OVER in the database."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count, F, Max, Window
from django.db.models.functions import Rank
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import facts_record_bulk
from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import require_org_perm
from dangjian.orgs.models import Member, Org

from . import grading
from .attempts import ShownQuestion, _shown
from .models import Attempt, AttemptQuestion, ChallengeRun, Competition, Exam, Question, QuestionVersion

MANAGE = "members.manage"


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def period_bounds(recurrence: str, now: dt.datetime) -> tuple[str, dt.datetime, dt.datetime]:
    """(round key, start, end) of the period containing ``now``, in local time (Asia/Shanghai)."""
    local = timezone.localtime(now)
    day = local.date()
    if recurrence == Competition.Recurrence.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=7)
        year, week, _wd = day.isocalendar()
        key = f"{year}-W{week:02d}"
    elif recurrence == Competition.Recurrence.MONTHLY:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        key = f"{day:%Y-%m}"
    else:
        q = (day.month - 1) // 3
        start = dt.date(day.year, q * 3 + 1, 1)
        end = dt.date(day.year + (q == 3), (q * 3 + 3) % 12 + 1, 1)
        key = f"{day.year}-Q{q + 1}"
    tz = timezone.get_current_timezone()
    return key, dt.datetime.combine(start, dt.time(), tz), dt.datetime.combine(end, dt.time(), tz)


@transaction.atomic
def competition_save(
    *, org: Org, acting_user: Any, title: str, kind: str, competition: Competition | None = None, **fields: Any
) -> Competition:
    require_org_perm(acting_user, org, MANAGE)
    if not title.strip():
        raise _err("title", _("Give the competition a title."))
    if kind not in Competition.Kind.values:
        raise _err("kind", _("Not a valid choice."))
    if kind == Competition.Kind.RECURRING:
        if fields.get("recurrence") not in Competition.Recurrence.values:
            raise _err("recurrence", _("Choose weekly, monthly or quarterly."))
        paper = fields.get("paper")
        if paper is None or not org.path.startswith(paper.org_path) or paper.question_count == 0:
            raise _err("paper", _("Choose a paper shared with this organisation."))
    else:
        bank = fields.get("bank")
        if bank is None or not org.path.startswith(bank.org_path):
            raise _err("bank", _("Choose a question bank shared with this organisation."))
        if fields.get("category") is not None and fields["category"].bank_id != bank.pk:
            raise _err("category", _("Choose a category of that bank."))
        if not 5 <= int(fields.get("seconds_per_question") or 30) <= 600:
            raise _err("seconds_per_question", _("From 5 to 600 seconds."))
    if competition is None:
        competition = Competition(created_by=acting_user)
    else:
        require_org_perm(acting_user, competition.org, MANAGE)
    before = {"person_leaderboard": competition.person_leaderboard} if competition.pk else None
    competition.org, competition.org_path, competition.title, competition.kind = org, org.path, title.strip(), kind
    for k, v in fields.items():
        setattr(competition, k, v)
    competition.save()
    audit(
        acting_user,
        "exams.competition_save",
        competition,
        org_path=org.path,
        before=before,
        after={"title": competition.title, "kind": kind, "person_leaderboard": competition.person_leaderboard},
    )
    return competition


def competition_round(competition: Competition, now: dt.datetime | None = None) -> Exam:
    """The exam of the current period of a recurring competition, made on first use (one per period)."""
    now = now or timezone.now()
    key, start, end = period_bounds(competition.recurrence, now)
    exam = Exam.objects.filter(competition=competition, round_key=key).first()
    if exam is not None:
        return exam
    assert competition.paper is not None
    try:
        with transaction.atomic():
            return Exam.objects.create(
                org=competition.org,
                org_path=competition.org_path,
                title=f"{competition.title} {key}",
                paper=competition.paper,
                opens_at=start,
                closes_at=end,
                time_limit_minutes=competition.time_limit_minutes,
                attempts_allowed=1,
                review_policy=Exam.Review.AFTER_CLOSE,
                status=Exam.Status.PUBLISHED,
                published_at=now,
                competition=competition,
                round_key=key,
                max_score=competition.paper.max_score,
                created_by=competition.created_by,
            )
    except IntegrityError:
        return Exam.objects.get(competition=competition, round_key=key)


def rounds_ensure(now: dt.datetime | None = None) -> int:
    """The job: make the current round of every active recurring competition."""
    n = 0
    for c in Competition.objects.filter(kind=Competition.Kind.RECURRING, is_active=True).select_related("paper", "org"):
        competition_round(c, now)
        n += 1
    return n


# --- challenge mode ------------------------------------------------------------------------------


def _serve(run: ChallengeRun, rng: random.Random) -> ChallengeRun:
    """Put the next unasked question of the pool in front of the member, or end the run when none is left."""
    c = run.competition
    pool = Question.objects.filter(bank_id=c.bank_id, is_active=True, current_version__isnull=False).exclude(
        pk__in=run.asked
    )
    if c.category_id:
        pool = pool.filter(category_path__startswith=c.category.path)  # type: ignore[union-attr]
    ids = list(pool.values_list("id", "current_version_id")[:2000])
    if not ids:
        return _end(run, "exhausted")
    qid, vid = rng.choice(ids)
    version = QuestionVersion.objects.only("type", "options").get(pk=vid)
    order = [o["id"] for o in version.options]
    rng.shuffle(order)
    run.asked = [*run.asked, qid]
    run.current_version, run.current_options, run.served_at = version, order, timezone.now()
    run.save(update_fields=["asked", "current_version", "current_options", "served_at"])
    return run


def _end(run: ChallengeRun, why: str) -> ChallengeRun:
    now = timezone.now()
    run.status, run.ended_at, run.ended_by = ChallengeRun.Status.ENDED, now, why
    run.save(update_fields=["status", "ended_at", "ended_by", "current_version", "current_options", "served_at"])
    if run.streak:
        facts_record_bulk(
            [
                {
                    "member_id": run.member_id,
                    "org_id": run.org_id,
                    "org_path": run.org_path,
                    "kind": FactKind.CHALLENGE_CORRECT,
                    "quantity": run.streak,
                    "occurred_at": now,
                    "source_type": "exams.challengerun",
                    "source_id": str(run.pk),
                }
            ]
        )
    return run


def _challenge_member(competition: Competition, user: Any) -> Member:
    member = getattr(user, "member", None) if user.is_authenticated else None
    if (
        member is None
        or competition.kind != Competition.Kind.CHALLENGE
        or not competition.is_active
        or not member.org_path.startswith(competition.org_path)
    ):
        raise Http404(_("Not found."))
    return member


@transaction.atomic
def challenge_start(*, competition: Competition, user: Any, rng: random.Random | None = None) -> ChallengeRun:
    """Start a run (or return the one being played)."""
    member = _challenge_member(competition, user)
    run = ChallengeRun.objects.filter(
        competition=competition, member=member, status=ChallengeRun.Status.PLAYING
    ).first()
    if run is not None:
        return run
    try:
        with transaction.atomic():
            run = ChallengeRun.objects.create(
                competition=competition,
                member=member,
                org_id=member.org_id,
                org_path=member.org_path,
                started_at=timezone.now(),
            )
    except IntegrityError:
        return ChallengeRun.objects.get(competition=competition, member=member, status=ChallengeRun.Status.PLAYING)
    return _serve(run, rng or random.SystemRandom())


def challenge_question(run: ChallengeRun) -> ShownQuestion | None:
    if run.current_version is None:
        return None
    aq = AttemptQuestion(
        question_id=run.current_version.question_id, option_order=run.current_options, points=0, position=len(run.asked)
    )
    return _shown(aq, run.current_version)


@transaction.atomic
def challenge_answer(
    *, competition: Competition, user: Any, response: Any, rng: random.Random | None = None
) -> tuple[ChallengeRun, bool]:
    """Grade the question in front of the member: right → the streak grows and the next question comes; wrong or
    too late → the run ends. Returns the run and whether the answer was right."""
    member = _challenge_member(competition, user)
    run = (
        ChallengeRun.objects.select_for_update(of=("self",))
        .select_related("competition", "competition__category", "current_version")
        .filter(competition=competition, member=member, status=ChallengeRun.Status.PLAYING)
        .first()
    )
    if run is None or run.current_version is None:
        raise _err("run", _("Start a new run first."))
    v = run.current_version
    late = run.served_at is None or timezone.now() > run.served_at + dt.timedelta(
        seconds=competition.seconds_per_question + 2
    )
    right = not late and grading.fraction(type=v.type, answer=v.answer, options=v.options, response=response) == 1
    if not right:
        run.current_version, run.current_options, run.served_at = None, [], None
        return _end(run, "timeout" if late else "wrong"), False
    run.streak += 1
    run.save(update_fields=["streak"])
    return _serve(run, rng or random.SystemRandom()), True


# --- leaderboards ---------------------------------------------------------------------------------


def branch_board(
    competition: Competition, *, within: str | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Branches ranked by their participants' average (best streak, or the current round's score in %)."""
    if competition.kind == Competition.Kind.CHALLENGE:
        return _challenge_branch_board(competition, within)
    exam = competition_round(competition, now)
    qs = Attempt.objects.filter(exam=exam, counts=True)
    if within:
        qs = qs.filter(org_path__startswith=within)
    board = (
        qs.values("org_id", name=F("org__name"))
        .annotate(players=Count("id"), value=Avg(F("score") * 100 / F("max_score")))
        .annotate(rank=Window(expression=Rank(), order_by=F("value").desc()))
        .order_by("rank", "name")
    )
    return [dict(r) for r in board]


def person_board(
    competition: Competition, *, limit: int = 50, now: dt.datetime | None = None
) -> list[dict[str, Any]] | None:
    """Persons ranked, only where the organiser turned the person leaderboard on (None otherwise)."""
    if not competition.person_leaderboard:
        return None
    qs: Any
    if competition.kind == Competition.Kind.CHALLENGE:
        qs = (
            ChallengeRun.objects.filter(competition=competition)
            .values("member_id", name=F("member__name"), branch=F("org__name"))
            .annotate(value=Max("streak"))
        )
    else:
        exam = competition_round(competition, now)
        qs = (
            Attempt.objects.filter(exam=exam, counts=True)
            .values("member_id", name=F("member__name"), branch=F("org__name"))
            .annotate(value=Max("score"))
        )
    return [
        dict(r)
        for r in qs.annotate(rank=Window(expression=Rank(), order_by=F("value").desc())).order_by("rank", "name")[
            :limit
        ]
    ]


def my_best(competition: Competition, member: Member | None) -> int | None:
    if member is None:
        return None
    return ChallengeRun.objects.filter(competition=competition, member=member).aggregate(b=Max("streak"))["b"]


def _challenge_branch_board(competition: Competition, within: str | None) -> list[dict[str, Any]]:
    """Each member's best streak, averaged per branch and ranked — one statement with RANK() OVER."""
    table = ChallengeRun._meta.db_table
    sql = (
        f"SELECT org_id, COUNT(*), AVG(best), RANK() OVER (ORDER BY AVG(best) DESC) FROM ("
        f" SELECT member_id, org_id, MAX(streak) AS best FROM {table} WHERE competition_id = %s AND org_path LIKE %s"
        f" GROUP BY member_id, org_id) t GROUP BY org_id ORDER BY 4, 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [competition.pk, (within or "") + "%"])
        rows = cursor.fetchall()
    names = dict(Org.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", "name"))
    return [
        {"org_id": o, "name": names.get(o, ""), "players": n, "value": float(v), "rank": rank} for o, n, v, rank in rows
    ]
