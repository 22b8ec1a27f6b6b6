"""Honest study time: heartbeats from the player or reader, credited only for real, visible, playing time.

Rules (server clock only; the client sends no time):

* A member has one study stream over all tabs and devices (``StudySession``). A beat for the stream's
  resource is accepted at any time and credited the real time since the previous accepted beat, at most
  ``CAP_MS``, and only when both beats were playing and visible. Bursts and replays therefore credit the
  few milliseconds that really passed, and two tabs on the same resource share one wall clock.
* A beat for another resource while the stream is playing and fresh is a second concurrent stream: it gets
  nothing and writes nothing. It takes over once the stream is paused or silent for ``STALE_MS``.
* After a silence longer than ``GAP_MS`` the stream restarts: the gap is not credited.
* Never more than the media's remaining length from the previous position.
* ``furthest`` grows only through contiguous watching (no jump ahead, at most ``MAX_RATE``× speed), and
  completion is ``furthest`` ≥ 95 % of the length: skipping ahead does not complete a video.

An accepted beat is two statements: a conditional UPDATE … RETURNING of the member's session row (which
also serialises the member's concurrent beats on its row lock) and an UPDATE … RETURNING of the progress
row computed in SQL. Facts are written later, in bulk (``study_time_flush``), not per beat.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.analytics.models import FactKind
from dangjian.analytics.services import fact_record, facts_record_bulk
from dangjian.core.errors import DomainError

from .models import Resource, StudyProgress, StudySession

CAP_MS = 20_000  # at most this much per beat: a 15 s interval plus jitter
STALE_MS = 20_000  # a playing stream silent this long may be taken over by another resource
GAP_MS = 45_000  # a longer silence restarts the stream; the gap is not credited
MAX_RATE = 2.0  # the fastest playback speed that still counts as watching
SLACK = 5.0  # seconds of tolerance on positions
COMPLETE_AT = 0.95

_SESSION_SQL = (
    "UPDATE learning_studysession SET prev_resource_id = resource_id, prev_beat_ms = last_beat_ms, prev_playing = playing, "
    "resource_id = %s, last_beat_ms = %s, playing = %s "
    "WHERE member_id = %s AND (resource_id = %s OR NOT playing OR last_beat_ms <= %s) "
    "RETURNING prev_resource_id, prev_beat_ms, prev_playing"
)


def _progress_sql() -> str:
    lo, hi = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    credit = f"{lo}(%(max)s, {hi}(%(dur_ms)s - CAST(position * 1000 AS BIGINT), 0))"
    contiguous = (
        f"(%(max)s > 0 AND position <= furthest + {SLACK} AND %(pos)s >= position - {SLACK} "
        f"AND %(pos)s - position <= %(advance)s)"
    )
    furthest = f"(CASE WHEN {contiguous} THEN {hi}(furthest, %(pos)s) ELSE furthest END)"
    return (
        f"UPDATE learning_studyprogress SET study_ms = study_ms + {credit}, last_credit_ms = {credit}, "
        f"last_studied_at = CASE WHEN {credit} > 0 THEN %(now)s ELSE last_studied_at END, "
        f"just_completed = (completed_at IS NULL AND {furthest} >= %(done)s), "
        f"completed_at = CASE WHEN completed_at IS NULL AND {furthest} >= %(done)s THEN %(now)s ELSE completed_at END, "
        f"furthest = {furthest}, position = %(pos)s "
        "WHERE member_id = %(member)s AND resource_id = %(resource)s "
        "RETURNING study_ms, last_credit_ms, furthest, just_completed"
    )


_cache: dict[str, tuple[str, list[str]]] = {}


def _compiled(vendor: str) -> tuple[str, list[str]]:
    """The progress UPDATE with positional placeholders, and the names of its parameters in order."""
    if vendor not in _cache:
        sql = _progress_sql()
        _cache[vendor] = (re.sub(r"%\((\w+)\)s", "%s", sql), re.findall(r"%\((\w+)\)s", sql))
    return _cache[vendor]


@dataclass
class Beat:
    credited_seconds: int
    total_seconds: int
    position: float
    furthest: float
    accepted: bool
    completed_now: bool = False


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def heartbeat_record(
    *, member: Any, resource: Resource, position: float, playing: bool, visible: bool, now_ms: int | None = None
) -> Beat:
    """Credit one heartbeat. The caller has checked that the member may see the resource (else 404)."""
    if not isinstance(position, int | float) or not math.isfinite(position) or position < 0:
        raise DomainError(
            _("position must be a number of seconds, 0 or more."), [{"field": "position", "message": _("Invalid.")}]
        )
    now_ms = _now_ms() if now_ms is None else now_ms
    active = bool(playing and visible)
    duration = float(resource.duration or 0)
    position = min(float(position), duration) if duration else float(position)
    with transaction.atomic(), connection.cursor() as c:
        c.execute(_SESSION_SQL, [resource.pk, now_ms, active, member.pk, resource.pk, now_ms - STALE_MS])
        row = c.fetchone()
        if row is None:
            c.execute(
                "INSERT INTO learning_studysession (member_id, resource_id, last_beat_ms, playing, prev_resource_id, "
                "prev_beat_ms, prev_playing) VALUES (%s, %s, %s, %s, 0, 0, false) ON CONFLICT (member_id) DO NOTHING",
                [member.pk, resource.pk, now_ms, active],
            )
            if c.rowcount == 0:  # another resource is being studied right now: a second stream gets nothing
                c.execute(
                    "SELECT study_ms, position, furthest FROM learning_studyprogress WHERE member_id = %s AND resource_id = %s",
                    [member.pk, resource.pk],
                )
                p = c.fetchone() or (0, 0.0, 0.0)
                return Beat(0, round(p[0] / 1000), float(p[1]), float(p[2]), accepted=False)
            row = (0, 0, False)
        prev_resource, prev_ms, prev_playing = row
        elapsed = now_ms - int(prev_ms)
        eligible = active and bool(prev_playing) and int(prev_resource) == resource.pk and 0 < elapsed <= GAP_MS
        max_credit = min(elapsed, CAP_MS) if eligible else 0
        sql, names = _compiled(connection.vendor)
        values = {
            "max": max_credit,
            "dur_ms": int(duration * 1000),
            "pos": position,
            "advance": max_credit / 1000 * MAX_RATE + SLACK,
            "now": connection.ops.adapt_datetimefield_value(timezone.now()),
            "done": duration * COMPLETE_AT if duration else 1e18,
            "member": member.pk,
            "resource": resource.pk,
        }
        params = [values[n] for n in names]
        c.execute(sql, params)
        out = c.fetchone()
        if out is None:
            StudyProgress.objects.bulk_create(
                [StudyProgress(member_id=member.pk, resource_id=resource.pk, position=position)], ignore_conflicts=True
            )
            c.execute(sql, params)
            out = c.fetchone()
        study_ms, credit_ms, furthest, just_completed = out
        if just_completed:
            fact_record(member=member, kind=FactKind.RESOURCE_COMPLETED, source=resource)
    return Beat(round(credit_ms / 1000), round(study_ms / 1000), position, float(furthest), True, bool(just_completed))


def progress_of(member: Any, resource: Resource) -> StudyProgress | None:
    return StudyProgress.objects.filter(member=member, resource=resource).first()


def study_time_flush(*, batch: int = 5000) -> int:
    """Record credited study time not yet in facts: one STUDY_SECONDS fact per member and resource per run
    (the run is daily, so one per day), in batches of set-based reads, bulk inserts and one UPDATE each."""
    written, last_id, now = 0, 0, timezone.now()
    while True:
        with transaction.atomic():
            rows = list(
                StudyProgress.objects.select_for_update(of=("self",))
                .filter(id__gt=last_id, study_ms__gt=F("flushed_ms"))
                .order_by("id")
                .values_list(
                    "id",
                    "member_id",
                    "member__org_id",
                    "member__org_path",
                    "resource_id",
                    "study_ms",
                    "flushed_ms",
                    "last_studied_at",
                )[:batch]
            )
            if not rows:
                return written
            facts = [
                {
                    "member_id": m,
                    "org_id": org,
                    "org_path": path,
                    "kind": FactKind.STUDY_SECONDS,
                    "quantity": (Decimal(total - flushed) / 1000).quantize(Decimal("0.01")),
                    "occurred_at": at or now,
                    "source_type": "learning.resource",
                    "source_id": str(r),
                }
                for _id, m, org, path, r, total, flushed, at in rows
            ]
            facts_record_bulk(facts)
            StudyProgress.objects.filter(id__in=[r[0] for r in rows]).update(flushed_ms=F("study_ms"))
            written += len(facts)
            last_id = rows[-1][0]


def session_clear(*, member: Any) -> None:
    """Forget the member's stream (e.g. on logout everywhere)."""
    StudySession.objects.filter(member=member).delete()
