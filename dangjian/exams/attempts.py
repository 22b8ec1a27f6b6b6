"""The attempt flow: start (or resume) with a paper of its own, autosave answers until the server's deadline,
submit and grade, and finish attempts whose time ran out.

Starting builds the paper with a constant number of queries whatever the number of questions (one pool query,
one version query, one bulk insert), so that hundreds of members can start a company-wide exam at once.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import Fact, FactKind
from dangjian.analytics.services import fact_rows
from dangjian.core import sql
from dangjian.core.audit import audit_row
from dangjian.core.errors import DomainError
from dangjian.core.models import AuditEvent
from dangjian.orgs.models import Member

from . import grading
from .bank import blank_count
from .models import Attempt, AttemptQuestion, Exam, QuestionType, QuestionVersion
from .papers import draw
from .selectors import eligible

MAX_ANSWER_CHARS = 500
MAX_CHOICES = 16
GRACE = dt.timedelta(seconds=5)  # the job finishes an attempt this long after its deadline


def judge_options() -> list[dict[str, str]]:
    return [{"id": "true", "text": _("True")}, {"id": "false", "text": _("False")}]


@dataclass
class ShownQuestion:
    """A question as the member sees it: no answer, options in this attempt's order."""

    id: int
    type: str
    stem: str
    options: list[dict[str, str]]
    points: Decimal
    position: int
    blanks: int

    def as_api(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "stem": self.stem, "options": self.options}


def _shown(aq: AttemptQuestion, version: QuestionVersion | dict[str, Any]) -> ShownQuestion:
    v = (
        version
        if isinstance(version, dict)
        else {"type": version.type, "stem": version.stem, "options": version.options}
    )
    if v["type"] == QuestionType.JUDGE:
        options = judge_options()
    else:
        by_id = {o["id"]: o for o in v["options"]}
        options = [{"id": i, "text": by_id[i]["text"]} for i in aq.option_order if i in by_id]
    blanks = blank_count(v["stem"]) if v["type"] == QuestionType.BLANK else 0
    return ShownQuestion(aq.question_id, v["type"], v["stem"], options, aq.points, aq.position, blanks)


def attempt_paper(attempt: Attempt) -> list[ShownQuestion]:
    """The attempt's own paper in the order shown (one query)."""
    rows = (
        attempt.questions.select_related("version")
        .only(  # attempt_id too: the related manager sets .attempt on each row
            "attempt_id",
            "question_id",
            "position",
            "points",
            "option_order",
            "version__type",
            "version__stem",
            "version__options",
        )
        .order_by("position")
    )
    return [_shown(aq, aq.version) for aq in rows]


def _member_or_404(user: Any) -> Member:
    member = getattr(user, "member", None) if user is not None and user.is_authenticated else None
    if member is None:
        raise Http404(_("Not found."))
    return member


def _deadline(exam: Exam, now: dt.datetime) -> dt.datetime:
    if exam.time_limit_minutes:
        return min(exam.closes_at, now + dt.timedelta(minutes=exam.time_limit_minutes))
    return exam.closes_at


@transaction.atomic
def attempt_start(
    *, exam: Exam, user: Any, rng: random.Random | None = None
) -> tuple[Attempt, list[ShownQuestion], bool]:
    """Start an attempt, or resume the open one (the same attempt and paper) while its time lasts; the flag says
    whether it was created now.

    Outside the audience: 404 and nothing written. Closed exam or no attempts left: 4xx.
    """
    member = _member_or_404(user)
    if not eligible(exam, member):
        raise Http404(_("Not found."))
    now = timezone.now()
    previous = list(
        Attempt.objects.filter(exam=exam, member=member).only("id", "number", "status", "deadline").order_by("number")
    )
    for a in previous:
        if a.status == Attempt.Status.IN_PROGRESS:
            if now <= a.deadline:
                return a, attempt_paper(a), False
            attempt_finish_expired(attempt=a)
            a.status = Attempt.Status.SUBMITTED
    if not exam.is_open(now):
        raise DomainError(
            _("The exam is not open now."),
            [
                {
                    "field": "exam",
                    "message": _("Open from %(o)s to %(c)s.")
                    % {
                        "o": timezone.localtime(exam.opens_at).strftime("%Y-%m-%d %H:%M"),
                        "c": timezone.localtime(exam.closes_at).strftime("%Y-%m-%d %H:%M"),
                    },
                }
            ],
            status=409,
        )
    if exam.attempts_allowed and len(previous) >= exam.attempts_allowed:
        raise DomainError(
            _("You have used all your attempts at this exam."),
            [{"field": "exam", "message": _("No attempts left.")}],
            status=409,
        )
    rng = rng or random.Random(random.SystemRandom().getrandbits(64))  # seeded from the OS, then the fast generator
    paper = exam.paper
    slots = draw(paper, rng)
    shown_versions = versions([s.version_id for s in slots], remember=False)  # not in use yet: see versions()
    positions = list(range(len(slots)))
    if paper.shuffle_questions:
        rng.shuffle(positions)
    attempt = Attempt(
        exam=exam,
        member=member,
        org_id=member.org_id,
        org_path=member.org_path,
        number=(previous[-1].number + 1) if previous else 1,
        started_at=now,
        deadline=_deadline(exam, now),
        max_score=sum((s.points for s in slots), Decimal("0.00")),
    )
    try:
        with transaction.atomic():
            sql.insert_new([attempt])
    except IntegrityError:
        # Another request of the same member started it a moment ago: resume that one.
        open_attempt = Attempt.objects.filter(exam=exam, member=member, status=Attempt.Status.IN_PROGRESS).first()
        if open_attempt is None:
            raise DomainError(_("Please try again."), status=409) from None
        return open_attempt, attempt_paper(open_attempt), False
    rows = []
    for s, pos in zip(slots, positions, strict=True):
        v = shown_versions[s.version_id]
        order = [o["id"] for o in v.options]
        if paper.shuffle_options and v.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            rng.shuffle(order)
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                question_id=s.question_id,
                version_id=s.version_id,
                slot=s.slot,
                position=pos,
                points=s.points,
                option_order=order,
            )
        )
    sql.insert_new(rows, returning_pk=False)
    shown = sorted((_shown(aq, shown_versions[aq.version_id]._asdict()) for aq in rows), key=lambda q: q.position)
    return attempt, shown, True


def attempt_for_member(*, attempt_id: int, user: Any) -> Attempt:
    """The caller's own attempt, or 404 (one query: the member is matched through its user)."""
    if user is None or not user.is_authenticated:
        raise Http404(_("Not found."))
    attempt = Attempt.objects.select_related("exam").filter(pk=attempt_id, member__user_id=user.pk).order_by().first()
    if attempt is None:
        raise Http404(_("Not found."))
    return attempt


def _check_value(qtype: str, value: Any) -> bool:
    if value is None:
        return True
    if qtype == QuestionType.SINGLE:
        return isinstance(value, str) and len(value) <= 64
    if qtype == QuestionType.MULTIPLE:
        return (
            isinstance(value, list)
            and len(value) <= MAX_CHOICES
            and all(isinstance(v, str) and len(v) <= 64 for v in value)
        )
    if qtype == QuestionType.JUDGE:
        return isinstance(value, bool | str) and len(str(value)) <= 16
    if isinstance(value, str):
        return len(value) <= MAX_ANSWER_CHARS
    return (
        isinstance(value, list)
        and len(value) <= 20
        and all(isinstance(v, str) and len(v) <= MAX_ANSWER_CHARS for v in value)
    )


@transaction.atomic
def attempt_save_answers(*, attempt_id: int, user: Any, answers: dict[str, Any]) -> Attempt:
    """Merge answers into the attempt (autosave). Refused once the deadline has passed or the attempt is submitted;
    ``null`` clears an answer. Keys are question ids of this attempt.

    The most frequent call of an exam (members save as they answer): the locked attempt with its questions in one
    statement (as for submitting), the question types from the version cache, one UPDATE."""
    locked = _lock_open(attempt_id=attempt_id, user_id=user.pk) if user is not None and user.is_authenticated else None
    if locked is None:
        raise Http404(_("Not found."))
    attempt = locked.attempt
    now = timezone.now()
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise DomainError(
            _("This attempt has been submitted."),
            [{"field": "answers", "message": _("Already submitted.")}],
            status=409,
        )
    if now > attempt.deadline:
        raise DomainError(
            _("Time is up: answers given after the deadline are not saved."),
            [{"field": "answers", "message": _("The deadline has passed.")}],
            status=409,
        )
    keys = versions([vid for _pk, _qid, vid, _points in locked.questions])
    types = {qid: keys[vid].type for _pk, qid, vid, _points in locked.questions}
    errors = []
    for key, value in answers.items():
        qid = int(key) if str(key).isdigit() else None
        if qid not in types:
            errors.append({"field": f"answers.{key}", "message": _("Not a question of this attempt.")})
        elif not _check_value(types[qid], value):
            errors.append(
                {
                    "field": f"answers.{key}",
                    "message": _("Not a valid answer for a %(type)s question.")
                    % {"type": QuestionType(types[qid]).label},
                }
            )
    if errors:
        raise DomainError(
            _("Some answers were not saved: %(fields)s") % {"fields": ", ".join(e["field"] for e in errors)}, errors
        )
    merged = dict(attempt.answers)
    for key, value in answers.items():
        if value is None or grading.is_blank_response(value):
            merged.pop(str(int(key)), None)
        else:
            merged[str(int(key))] = value
    attempt.answers, attempt.saved_at = merged, now
    with sql.hot_cursor() as cursor:
        cursor.execute(*sql.update_statement(Attempt, attempt.pk, {"answers": merged, "saved_at": now}))
    return attempt


def _choose_counted(attempts: list[Attempt], method: str) -> Attempt | None:
    graded = [a for a in attempts if a.status == Attempt.Status.SUBMITTED]
    if not graded:
        return None
    if method == Exam.Grading.FIRST:
        return min(graded, key=lambda a: a.number)
    if method == Exam.Grading.LAST:
        return max(graded, key=lambda a: a.number)
    return max(graded, key=lambda a: (a.score or 0, -a.number))


@dataclass(frozen=True)
class Rules:
    """What closing an attempt needs of its exam (read with the locked attempt, in the same statement)."""

    on_timeout: str
    multiple_partial: str
    pass_percent: Decimal
    grading_method: str


CLOSING_FIELDS = ("status", "submitted_at", "auto_submitted", "score", "passed", "counts")


@dataclass
class Locked:
    """An open attempt being saved or closed: the row (locked), its exam's rules and its questions as (id,
    question id, version id, points)."""

    attempt: Attempt
    rules: Rules
    questions: list[tuple[int, int, int, Decimal]]


ATTEMPT_COLUMNS = (
    "id",
    "exam_id",
    "member_id",
    "org_id",
    "org_path",
    "number",
    "status",
    "deadline",
    "saved_at",
    "submitted_at",
    "auto_submitted",
    "answers",
    "score",
    "max_score",
    "passed",
    "counts",
)


class Version(NamedTuple):
    """What grading and showing a question need of one of its versions."""

    type: str
    answer: Any
    options: list[dict[str, Any]]
    stem: str


# Question versions by id. A version that an attempt holds never changes (bank.question_edit writes a new one once
# a version is in use), so what is read here cannot go stale: a company-wide exam's autosaves and submissions
# then read only their own rows. Only versions already in use are remembered: starting an attempt reads the
# versions it is about to use without remembering them, since until it commits an organiser may still edit one
# in place. Bounded: cleared when it grows past VERSIONS_MAX versions.
_VERSIONS: dict[int, Version] = {}
VERSIONS_MAX = 20_000


def versions(version_ids: list[int], *, remember: bool = True) -> dict[int, Version]:
    """The versions asked for, from the process's cache or one query for those not in it (remembered when
    ``remember``: only for versions that an attempt already holds)."""
    found = {v: _VERSIONS[v] for v in version_ids if v in _VERSIONS}
    missing = [v for v in version_ids if v not in found]
    if missing:
        if remember and len(_VERSIONS) + len(missing) > VERSIONS_MAX:
            _VERSIONS.clear()
        for vid, qtype, answer, options, stem in QuestionVersion.objects.filter(pk__in=missing).values_list(
            "id", "type", "answer", "options", "stem"
        ):
            found[vid] = Version(qtype, answer, options, stem)
            if remember:
                _VERSIONS[vid] = found[vid]
    return {v: found[v] for v in version_ids}


def _grade(locked: Locked) -> sql.Statement | None:
    """Grade the saved answers: sets the attempt's score and pass, and answers the statement that writes the
    question scores (run with the attempt's other writes)."""
    attempt, rules = locked.attempt, locked.rules
    keys = versions([vid for _pk, _qid, vid, _points in locked.questions])
    total = Decimal("0.00")
    scores = []
    for pk, question_id, vid, points in locked.questions:
        key = keys[vid]
        got = grading.score(
            points=points,
            type=key.type,
            answer=key.answer,
            options=key.options,
            response=attempt.answers.get(str(question_id)),
            partial=rules.multiple_partial,
        )
        scores.append((pk, got))
        total += got
    attempt.score = total
    attempt.passed = attempt.max_score > 0 and total * 100 >= rules.pass_percent * attempt.max_score
    return _scores_statement(scores)


def _scores_statement(scores: list[tuple[int, Decimal]]) -> sql.Statement | None:
    """All the attempt's question scores in one UPDATE (the ORM's bulk_update builds a CASE per row in Python,
    which costs more than grading itself): from two arrays on PostgreSQL, from a UNION ALL on SQLite."""
    if not scores:
        return None
    table = AttemptQuestion._meta.db_table
    if connection.vendor == "postgresql":
        return (
            f"UPDATE {table} SET score = v.score FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, score) WHERE {table}.id = v.id",
            [[pk for pk, _s in scores], [score for _pk, score in scores]],
        )
    values = " UNION ALL ".join(["SELECT CAST(%s AS BIGINT) AS id, CAST(%s AS NUMERIC(6, 2)) AS score"] * len(scores))
    params: list[Any] = [x for pk, score in scores for x in (pk, str(score))]
    return f"UPDATE {table} SET score = v.score FROM ({values}) AS v WHERE {table}.id = v.id", params


def _close(locked: Locked, *, now: dt.datetime, status: str, auto: bool, acting_user: Any) -> Attempt:
    """Grade (or discard) a locked open attempt, mark the attempt that counts, record facts and the audit: the
    writes go to the database together (``sql.execute_together``: one round trip on PostgreSQL)."""
    attempt, rules = locked.attempt, locked.rules
    scores = _grade(locked) if status == Attempt.Status.SUBMITTED else None
    attempt.status, attempt.submitted_at, attempt.auto_submitted = status, now, auto
    # Only earlier attempts can exist while this one is open (one open attempt at a time, numbered in order).
    others = (
        []
        if attempt.number == 1
        else list(
            Attempt.objects.filter(
                exam_id=attempt.exam_id, member_id=attempt.member_id, number__lt=attempt.number
            ).only("id", "number", "status", "score", "passed", "counts")
        )
    )
    counted = _choose_counted([*others, attempt], rules.grading_method)
    attempt.counts = counted is not None and counted.pk == attempt.pk
    writes = [scores, sql.update_statement(Attempt, attempt.pk, {f: getattr(attempt, f) for f in CLOSING_FIELDS})]
    for a in others:
        should = counted is not None and a.pk == counted.pk
        if a.counts != should:
            writes.append(sql.update_statement(Attempt, a.pk, {"counts": should}))
    if status == Attempt.Status.SUBMITTED:
        base = {
            "member_id": attempt.member_id,
            "org_id": attempt.org_id,
            "org_path": attempt.org_path,
            "occurred_at": now,
            "source_type": "exams.attempt",
            "source_id": str(attempt.pk),
        }
        facts = [base | {"kind": FactKind.EXAM_SCORE, "quantity": attempt.score}]
        if attempt.passed and not any(a.passed for a in others):
            facts.append(base | {"kind": FactKind.EXAM_PASSED, "quantity": Decimal(1)})
        writes += sql.insert_statements(Fact, fact_rows(facts))
    event = audit_row(
        acting_user,
        "exams.attempt_submit" if status == Attempt.Status.SUBMITTED else "exams.attempt_discard",
        attempt,
        org_path=attempt.org_path,
        after={"score": attempt.score, "max_score": attempt.max_score, "passed": attempt.passed, "auto": auto},
        actor_name="" if acting_user is not None else "system",
    )
    if connection.vendor == "postgresql":
        # Asynchronous commit: the score depends only on answers saved (and committed) before. Should the server
        # crash in the moment after, the attempt is still open and the expiry job grades the same answers.
        writes.insert(0, ("SET LOCAL synchronous_commit TO OFF", []))
    sql.execute_together([*writes, *sql.insert_statements(AuditEvent, [event])])
    return attempt


def _questions_json(alias: str) -> str:
    """A sub-select of the attempt's questions as one JSON array of [id, question id, version id, points]: one row
    to read and convert instead of one per question (the attempt's timestamps and answers parsed once)."""
    q = AttemptQuestion._meta.db_table
    if connection.vendor == "postgresql":
        rows = "json_agg(json_build_array(q.id, q.question_id, q.version_id, q.points))::text"
    else:
        rows = "json_group_array(json_array(q.id, q.question_id, q.version_id, q.points))"
    return f"(SELECT {rows} FROM {q} q WHERE q.attempt_id = {alias}.id)"


def _lock_open(*, attempt_id: int, user_id: int | None) -> Locked | None:
    """The attempt (the caller's own when ``user_id`` is given) with its exam's rules and its questions, the
    attempt's row locked (for saving answers or closing it): one statement, one row."""
    a, e, m = (t._meta.db_table for t in (Attempt, Exam, Member))
    columns, names = sql.select_list(Attempt, "a", ATTEMPT_COLUMNS)
    text = (
        f"SELECT {columns}, e.on_timeout, e.multiple_partial, e.pass_percent, e.grading_method, {_questions_json('a')} "
        f"FROM {a} a JOIN {e} e ON e.id = a.exam_id JOIN {m} m ON m.id = a.member_id WHERE a.id = %s"
    )
    params: list[Any] = [attempt_id]
    if user_id is not None:
        text += " AND m.user_id = %s"
        params.append(user_id)
    if connection.features.has_select_for_update_of:
        text += " FOR UPDATE OF a"
    with sql.hot_cursor() as cursor:
        cursor.execute(text, params)
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(names)
    on_timeout, partial, pass_percent, grading_method, questions = row[n:]
    return Locked(
        attempt=sql.instance(Attempt, names, row[:n]),
        rules=Rules(on_timeout, partial, Decimal(str(pass_percent)), grading_method),
        # Points through str(): exact whether JSON gave an int, a float (SQLite) or a Decimal.
        questions=[
            (pk, qid, vid, Decimal(str(points)))
            for pk, qid, vid, points in json.loads(questions or "[]", parse_float=Decimal)
        ],
    )


@transaction.atomic
def attempt_submit(*, attempt_id: int, user: Any) -> Attempt:
    """Submit and grade. Submitting twice answers the first result; after the deadline only what was saved in
    time is graded (or, under "not counted unless submitted in time", the attempt is not counted).

    The hot path of a company-wide exam: the locked attempt with its exam's rules and its questions in one
    statement, the answer keys from the cache (``versions``), the writes (scores, attempt, facts, audit) in one
    round trip on PostgreSQL."""
    locked = _lock_open(attempt_id=attempt_id, user_id=user.pk) if user is not None and user.is_authenticated else None
    if locked is None:
        raise Http404(_("Not found."))
    attempt = locked.attempt
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return attempt
    now = timezone.now()
    late = now > attempt.deadline
    if late and locked.rules.on_timeout == Exam.OnTimeout.DISCARD:
        return _close(locked, now=now, status=Attempt.Status.ABANDONED, auto=False, acting_user=user)
    return _close(locked, now=now, status=Attempt.Status.SUBMITTED, auto=late, acting_user=user)


@transaction.atomic
def attempt_finish_expired(*, attempt: Attempt) -> Attempt:
    """Finish one attempt whose time ran out: submit what was saved, or leave it uncounted (exam setting)."""
    locked = _lock_open(attempt_id=attempt.pk, user_id=None)
    if locked is None:
        return attempt
    attempt = locked.attempt
    if attempt.status != Attempt.Status.IN_PROGRESS or timezone.now() <= attempt.deadline:
        return attempt
    on_timeout = locked.rules.on_timeout
    status = Attempt.Status.SUBMITTED if on_timeout == Exam.OnTimeout.SUBMIT else Attempt.Status.ABANDONED
    return _close(locked, now=timezone.now(), status=status, auto=True, acting_user=None)


def attempts_finish_expired(*, limit: int = 5000) -> int:
    """The job: finish every open attempt past its deadline (each in its own transaction)."""
    cutoff = timezone.now() - GRACE
    done = 0
    for attempt in (
        Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lt=cutoff)
        .only("id")
        .order_by("deadline")[:limit]
    ):
        attempt_finish_expired(attempt=attempt)
        done += 1
    return done
