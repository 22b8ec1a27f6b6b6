"""Item analysis of an exam with Moodle's quiz-statistics formulas, from aggregated rows only.

One GROUP BY over the counted attempts' questions — (slot, version, points, mark x, rest of the attempt o = T − x)
→ count — holds everything the item statistics need; the attempt totals come from a second GROUP BY (score,
passed). The rest is arithmetic over those few thousand rows, never a loop over attempts.

For item i over the s attempts that had it (sample variances, divisor s − 1, as Moodle):
* facility F = 100 · mean(x) / max mark;
* discrimination index D = 100 · cov(x, o) / √(var(x) · var(o)), o the rest of the attempt's marks;
* discriminative efficiency E = 100 · cov(x, o) / cov_max(x, o), cov_max pairing x and o each sorted ascending;
* for the test: CIC = 100 · P/(P − 1) · (1 − Σ var(slot marks) / var(T)) over the P slots (Cronbach's alpha),
  error ratio ER = 100 · √(1 − CIC/100), standard error SE = ER/100 · SD(T); skewness and kurtosis as Moodle.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from dangjian.orgs.models import Org

from .models import Attempt, AttemptQuestion, Exam, QuestionType, QuestionVersion

BUCKETS = 10


@dataclass
class ItemStats:
    version_id: int
    question_id: int = 0
    version_number: int = 0
    type: str = ""
    stem: str = ""
    s: int = 0
    max_mark: float = 0.0
    mean: float = 0.0
    facility: float | None = None
    sd: float | None = None
    discrimination: float | None = None
    efficiency: float | None = None

    @property
    def type_label(self) -> str:
        return str(QuestionType(self.type).label) if self.type in QuestionType.values else self.type

    @property
    def flag(self) -> str:
        """Moodle's advice colours: negative discrimination is a red flag, weak below 20 %, facility far off."""
        if self.discrimination is not None and self.discrimination < 0:
            return "red"
        if (self.discrimination is not None and self.discrimination < 20) or (
            self.facility is not None and not 10 <= self.facility <= 95
        ):
            return "yellow"
        return "green"


@dataclass
class ExamStats:
    n: int = 0
    max_score: float = 0.0
    mean: float | None = None
    median: float | None = None
    sd: float | None = None
    skewness: float | None = None
    kurtosis: float | None = None
    cic: float | None = None
    error_ratio: float | None = None
    standard_error: float | None = None
    passed: int = 0
    distribution: list[tuple[str, int]] = field(default_factory=list)
    items: list[ItemStats] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.n if self.n else None


P = ParamSpec("P")
R = TypeVar("R")


def big_aggregates(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` in a transaction whose aggregates may hash a few hundred thousand groups in memory (work_mem
    64 MB instead of spilling to disk) without JIT compilation (which costs more than it saves here): on
    PostgreSQL, for that transaction only. Measured on 100,000 attempts: mastery 2.9 -> 1.8 s."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.vendor != "postgresql":
            return fn(*args, **kwargs)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
            return fn(*args, **kwargs)

    return wrapper


def counted_attempts(exam: Exam, paths: list[str] | None = None) -> Any:
    """The attempts that give members their grade; ``paths`` narrows to org subtrees (an organiser's scope)."""
    qs = Attempt.objects.filter(exam=exam, counts=True)
    if paths is not None:
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(org_path__startswith=p)
        qs = qs.filter(q)
    return qs


def _moments(hist: dict[float, int]) -> tuple[int, float, float]:
    """(n, mean, sum of squared deviations) of a histogram value → count."""
    n = sum(hist.values())
    if not n:
        return 0, 0.0, 0.0
    mean = sum(v * c for v, c in hist.items()) / n
    return n, mean, sum(c * (v - mean) ** 2 for v, c in hist.items())


def sorted_pair_sum(xs: dict[float, int], os: dict[float, int]) -> float:
    """Σ x_(k) · o_(k) with both lists sorted ascending, from their histograms (two merged step functions)."""
    xi, oi = sorted(xs.items()), sorted(os.items())
    total, a, b = 0.0, 0, 0
    left_x, left_o = (xi[0][1] if xi else 0), (oi[0][1] if oi else 0)
    while a < len(xi) and b < len(oi):
        take = min(left_x, left_o)
        total += take * xi[a][0] * oi[b][0]
        left_x -= take
        left_o -= take
        if left_x == 0:
            a += 1
            left_x = xi[a][1] if a < len(xi) else 0
        if left_o == 0:
            b += 1
            left_o = oi[b][1] if b < len(oi) else 0
    return total


def _test_stats(stats: ExamStats, totals: dict[float, int]) -> None:
    s, mean, ss = _moments(totals)
    stats.n = s
    if not s:
        return
    stats.mean = mean
    ordered = sorted(totals.items())
    mid = [(s - 1) // 2, s // 2]
    seen, values = 0, []
    for v, c in ordered:
        for k in mid:
            if seen <= k < seen + c:
                values.append(v)
        seen += c
    stats.median = sum(values) / len(values)
    if s > 1:
        stats.sd = math.sqrt(ss / (s - 1))
    if s > 2:
        m2 = ss / s
        m3 = sum(c * (v - mean) ** 3 for v, c in totals.items()) / s
        m4 = sum(c * (v - mean) ** 4 for v, c in totals.items()) / s
        k2 = s * m2 / (s - 1)
        k3 = s * s * m3 / ((s - 1) * (s - 2))
        if k2:
            stats.skewness = k3 / k2**1.5
            if s > 3:
                k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
                stats.kurtosis = k4 / (k2 * k2)


def _item(version_id: int, rows: list[tuple[float, float, float, int]]) -> ItemStats:
    """rows: (points, x, o, count) of one version."""
    item = ItemStats(version_id=version_id)
    xs: dict[float, int] = defaultdict(int)
    os: dict[float, int] = defaultdict(int)
    sxo, sp = 0.0, 0.0
    for p, x, o, c in rows:
        xs[x] += c
        os[o] += c
        sxo += x * o * c
        sp += p * c
    s, mx, ssx = _moments(xs)
    _s, mo, sso = _moments(os)
    item.s, item.mean = s, mx
    item.max_mark = sp / s if s else 0.0
    item.facility = 100.0 * mx / item.max_mark if item.max_mark else None
    if s > 1:
        var_x, var_o = ssx / (s - 1), sso / (s - 1)
        cov = (sxo - s * mx * mo) / (s - 1)
        cov_max = (sorted_pair_sum(xs, os) - s * mx * mo) / (s - 1)
        item.sd = math.sqrt(var_x)
        item.discrimination = 100.0 * cov / math.sqrt(var_x * var_o) if var_x * var_o > 1e-12 else None
        item.efficiency = 100.0 * cov / cov_max if abs(cov_max) > 1e-12 else None
    return item


@big_aggregates
def exam_statistics(exam: Exam, paths: list[str] | None = None) -> ExamStats:
    """The whole analysis of the counted attempts (two aggregate queries plus one for question texts)."""
    attempts = counted_attempts(exam, paths)
    stats = ExamStats(max_score=float(exam.max_score))
    totals: dict[float, int] = defaultdict(int)
    for score, passed, c in attempts.values_list("score", "passed").annotate(c=Count("id")).order_by():
        totals[float(score or 0)] += c
        stats.passed += c if passed else 0
    _test_stats(stats, totals)
    width = stats.max_score / BUCKETS if stats.max_score else 1
    buckets = [0] * BUCKETS
    for v, c in totals.items():
        buckets[min(BUCKETS - 1, int(v / width)) if width else 0] += c
    stats.distribution = [(f"{i * 100 // BUCKETS}–{(i + 1) * 100 // BUCKETS}%", c) for i, c in enumerate(buckets)]
    if not stats.n:
        return stats
    rows = (
        AttemptQuestion.objects.filter(attempt__in=attempts.values("id"))
        .values_list("slot", "version_id", "points", "score")
        .annotate(o=F("attempt__score") - F("score"), c=Count("id"))
        .order_by()
    )
    by_version: dict[int, list[tuple[float, float, float, int]]] = defaultdict(list)
    by_slot: dict[int, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    for slot, version_id, points, x, o, c in rows:
        x = float(x or 0)
        by_version[version_id].append((float(points), x, float(o or 0), c))
        by_slot[slot][x] += c
    stats.items = [_item(v, r) for v, r in by_version.items()]
    info: dict[int, dict[str, Any]] = {
        r["id"]: dict(r)
        for r in QuestionVersion.objects.filter(pk__in=list(by_version)).values(
            "id", "question_id", "number", "type", "stem"
        )
    }
    for item in stats.items:
        row = info[item.version_id]
        item.question_id, item.version_number, item.type, item.stem = (
            row["question_id"],
            row["number"],
            row["type"],
            row["stem"],
        )
    stats.items.sort(key=lambda i: (i.question_id, i.version_number))
    p = len(by_slot)
    if p > 1 and stats.n > 2 and stats.sd:
        k2 = stats.sd**2
        slot_var = 0.0
        for hist in by_slot.values():
            n, _m, ss = _moments(hist)
            slot_var += ss / (n - 1) if n > 1 else 0.0
        stats.cic = 100.0 * p / (p - 1) * (1 - slot_var / k2)
        stats.error_ratio = 100.0 * math.sqrt(max(0.0, 1 - stats.cic / 100))
        stats.standard_error = stats.error_ratio * stats.sd / 100
    return stats


@dataclass
class OrgRow:
    org_id: int
    name: str
    audience: int
    attempted: int
    passed: int
    mean_percent: float | None

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.attempted if self.attempted else None

    @property
    def participation(self) -> float | None:
        return 100.0 * self.attempted / self.audience if self.audience else None


def pass_rate_by_org(exam: Exam, paths: list[str] | None = None) -> list[OrgRow]:
    """Per member branch: audience, attempted, passed, mean score in % (three grouped queries)."""
    from .services import audience

    got = {
        r["org_id"]: r
        for r in counted_attempts(exam, paths)
        .values("org_id")
        .annotate(n=Count("id"), p=Count("id", filter=Q(passed=True)), total=Sum("score"), of=Sum("max_score"))
        .order_by()
    }
    members = audience(exam)
    if paths is not None:
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(org_path__startswith=path)
        members = members.filter(q)
    sizes = dict(members.values_list("org_id").annotate(c=Count("id")).order_by())
    names = dict(Org.objects.filter(pk__in=set(got) | set(sizes)).values_list("pk", "name"))
    out = []
    for org_id in set(got) | set(sizes):
        r = got.get(org_id, {})
        of = r.get("of") or Decimal(0)
        out.append(
            OrgRow(
                org_id,
                names.get(org_id, ""),
                sizes.get(org_id, 0),
                r.get("n", 0),
                r.get("p", 0),
                float(100 * (r.get("total") or 0) / of) if of else None,
            )
        )
    return sorted(out, key=lambda o: (-(o.pass_rate or -1), o.name))


@big_aggregates
def mastery(
    exam: Exam | None = None, *, by: str = "org", paths: list[str] | None = None, member_id: int | None = None
) -> list[dict[str, Any]]:
    """Per knowledge point (知识点) mastery = marks got / marks possible, grouped by ``by`` ("org", "member" or
    "all"), over counted attempts of one exam (or of every exam for one member)."""
    qs = AttemptQuestion.objects.filter(version__knowledge_points__isnull=False, score__isnull=False)
    if exam is not None:
        qs = qs.filter(attempt__in=counted_attempts(exam, paths).values("id"))
    else:
        qs = qs.filter(attempt__counts=True)
    if member_id is not None:
        qs = qs.filter(attempt__member_id=member_id)
    keys = ["version__knowledge_points__id", "version__knowledge_points__name"]
    if by == "org":
        keys += ["attempt__org_id", "attempt__org__name"]
    elif by == "member":
        keys += ["attempt__member_id", "attempt__member__name"]
    rows = qs.values(*keys).annotate(got=Sum("score"), of=Sum("points"), n=Count("id")).order_by()
    out = []
    for r in rows:
        of = r["of"] or Decimal(0)
        out.append(
            {
                "kp_id": r[keys[0]],
                "kp": r[keys[1]],
                "group_id": r.get(keys[2]) if len(keys) > 2 else None,
                "group": r.get(keys[3], "") if len(keys) > 2 else "",
                "n": r["n"],
                "mastery": float(100 * r["got"] / of) if of else None,
            }
        )
    return sorted(out, key=lambda r: (r["group"], r["mastery"] if r["mastery"] is not None else 101))


def weak_knowledge_points(member_id: int, *, limit: int = 5, below: float = 80.0) -> list[dict[str, Any]]:
    """What a member should study next: their knowledge points under ``below`` % over all their counted attempts,
    weakest first (for the learning recommendations)."""
    rows = [
        r for r in mastery(None, by="all", member_id=member_id) if r["mastery"] is not None and r["mastery"] < below
    ]
    return sorted(rows, key=lambda r: r["mastery"])[:limit]
