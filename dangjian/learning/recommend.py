"""Recommendations: a hybrid of content (TF-IDF cosine over jieba-segmented text between a member's role, post,
learning-map gaps and studied items and each resource), item-item collaborative filtering on who studied what
(implicit feedback), and the branch's popularity for members with no history yet. Only resources the member
may study are ever candidates; each recommendation carries the reason it is shown.

``Hybrid`` is pure Python over plain data so that the offline evaluation (evaluation.py) runs the same code."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.orgs.models import Member

from . import textseg
from .models import ItemNeighbour, LearnerRole, Resource, StudyProgress
from .selectors import branch_path_of, resources_for_study

MAX_CANDIDATES = 1500
NEIGHBOURS = 30
POPULAR_DAYS = 180
STUDIED_MS = 60_000  # a minute of study counts as "studied" for the collaborative part

# Words that describe what each role's work is about, added to the member's profile.
ROLE_TERMS: dict[str, str] = {
    LearnerRole.LEADER: "党委 领导 班子 全面从严治党 主体责任 决策 国有企业 改革 发展",
    LearnerRole.AFFAIRS: "党务 党务工作者 组织 发展党员 党费 党员教育 宣传 纪检",
    LearnerRole.SECRETARY: "支部书记 党支部 支部 三会一课 组织生活 主题党日 民主评议 党员管理 支部建设",
    LearnerRole.MEMBER: "党员 党章 理论学习 初心使命 党性 先锋模范",
}


@dataclass
class Pick:
    resource_id: int
    score: float
    reason: str  # "gap" | "role" | "post" | "similar" | "cf" | "popular"
    about: str = ""  # a resource title or a post, for the explanation


class Hybrid:
    """TF-IDF vectors of the candidate documents and the scoring of one member at a time."""

    WEIGHTS = {"content": 0.35, "cf": 0.4, "pop": 0.15, "role": 0.1}
    GAP_BONUS = 1.0
    GAP_SLOTS = 3

    def __init__(self, docs: dict[int, list[str]], roles_of_doc: dict[int, set[str]] | None = None) -> None:
        self.roles_of_doc = roles_of_doc or {}
        df: Counter[str] = Counter()
        for toks in docs.values():
            df.update(set(toks))
        n = max(len(docs), 1)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self.vectors = {rid: self._vector(toks) for rid, toks in docs.items()}

    def _vector(self, toks: Iterable[str], weight: float = 1.0) -> dict[str, float]:
        tf = Counter(toks)
        vec = {t: (1 + math.log(c)) * self.idf.get(t, 1.0) * weight for t, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def _profile(self, parts: list[tuple[list[str], float]]) -> dict[str, float]:
        vec: dict[str, float] = defaultdict(float)
        for toks, w in parts:
            for t, v in self._vector(toks, w).items():
                vec[t] += v
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    @staticmethod
    def _cos(a: dict[str, float], b: dict[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(v * b.get(t, 0.0) for t, v in a.items())

    def rank(
        self,
        *,
        candidates: Iterable[int],
        roles: set[str],
        post_tokens: list[str],
        history: list[int],
        gaps: set[int],
        neighbours: dict[int, dict[int, float]],
        popular: dict[int, int],
        titles: dict[int, str] | None = None,
        post: str = "",
        limit: int = 10,
    ) -> list[Pick]:
        titles = titles or {}
        role_toks = [t for r in roles for t in ROLE_TERMS.get(r, "").split()]
        recent = history[-20:]
        studied_parts = [(self._doc_tokens(rid), 1.0) for rid in recent if rid in self.vectors]
        role_vec = self._profile([(role_toks, 1.0)]) if role_toks else {}
        post_vec = self._profile([(post_tokens, 1.0)]) if post_tokens else {}
        studied_vec = self._profile(studied_parts) if studied_parts else {}
        gap_vec = self._profile([(self._doc_tokens(g), 1.0) for g in gaps if g in self.vectors]) if gaps else {}
        seen = set(history)
        cf: dict[int, tuple[float, int]] = {}
        for h in recent:
            for j, s in neighbours.get(h, {}).items():
                total, best = cf.get(j, (0.0, h))
                cf[j] = (total + s, h if s > neighbours.get(best, {}).get(j, 0.0) else best)
        cf_max = max((v[0] for v in cf.values()), default=0.0) or 1.0
        pop_max = max(popular.values(), default=0) or 1
        weights = dict(self.WEIGHTS)
        if not history:  # a new member: lean on what the branch studies
            weights.update(cf=0.0, pop=0.45, content=0.4)
        picks = []
        for rid in candidates:
            if rid in seen or rid not in self.vectors:
                continue
            doc = self.vectors[rid]
            parts = {
                "role": self._cos(role_vec, doc) * 0.5
                + (0.5 if roles & self.roles_of_doc.get(rid, set()) - {LearnerRole.MEMBER} else 0.0),
                "post": self._cos(post_vec, doc),
                "similar": self._cos(studied_vec, doc),
                "gapsim": self._cos(gap_vec, doc),
            }
            content = max(parts["post"], parts["similar"], parts["gapsim"], parts["role"] * 0.8)
            c = cf.get(rid, (0.0, 0))[0] / cf_max
            p = popular.get(rid, 0) / pop_max
            score = (
                weights["content"] * content + weights["cf"] * c + weights["pop"] * p + weights["role"] * parts["role"]
            )
            contributions = {
                "gap": 0.0,
                "role": weights["role"] * parts["role"] + weights["content"] * parts["role"] * 0.8,
                "post": weights["content"] * parts["post"],
                "similar": weights["content"] * max(parts["similar"], parts["gapsim"]),
                "cf": weights["cf"] * c,
                "popular": weights["pop"] * p,
            }
            reason = max(contributions, key=lambda k: contributions[k])
            about = ""
            if reason == "cf":
                about = titles.get(cf[rid][1], "")
            elif reason == "similar" and studied_vec:
                about = titles.get(max(recent, key=lambda h: self._cos(self.vectors.get(h, {}), doc)), "")
            elif reason == "post":
                about = post
            picks.append(Pick(rid, score, reason, about))
        # Open required items of the map come first, but only the few that fit best: the list stays varied.
        gap_picks = sorted((x for x in picks if x.resource_id in gaps), key=lambda x: (-x.score, -x.resource_id))
        for rank, x in enumerate(gap_picks):
            x.score += self.GAP_BONUS if rank < self.GAP_SLOTS else 0.1
            if rank < self.GAP_SLOTS:
                x.reason, x.about = "gap", ""
        picks.sort(key=lambda x: (-x.score, -x.resource_id))
        return picks[:limit]

    def _doc_tokens(self, rid: int) -> list[str]:
        return list(self.vectors.get(rid, {}))


def cooccurrence(baskets: Iterable[set[int]], top: int = NEIGHBOURS) -> dict[int, dict[int, float]]:
    """Item-item similarity from baskets of studied items: c(i,j) / √(n(i)·n(j)), the ``top`` best per item."""
    pairs: Counter[tuple[int, int]] = Counter()
    counts: Counter[int] = Counter()
    for basket in baskets:
        items = sorted(basket)
        counts.update(items)
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                pairs[(items[a], items[b])] += 1
    sims: dict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), c in pairs.items():
        s = c / math.sqrt(counts[i] * counts[j])
        sims[i][j] = s
        sims[j][i] = s
    return {i: dict(sorted(n.items(), key=lambda kv: -kv[1])[:top]) for i, n in sims.items()}


def explain(pick: Pick, roles: set[str]) -> str:
    """The sentence shown under a recommendation."""
    if pick.reason == "gap":
        return _("Required in your learning map")
    if pick.reason == "role":
        for role, text in (
            (LearnerRole.SECRETARY, _("Because you are a branch secretary")),
            (LearnerRole.LEADER, _("Because you are on the Party committee")),
            (LearnerRole.AFFAIRS, _("Because you do Party-affairs work")),
        ):
            if role in roles:
                return str(text)
        return _("Recommended for Party members")
    if pick.reason == "post" and pick.about:
        return _("Fits your post: %(post)s") % {"post": pick.about}
    if pick.reason == "similar" and pick.about:
        return _("Similar to “%(title)s”, which you studied") % {"title": pick.about}
    if pick.reason == "cf" and pick.about:
        return _("Members who studied “%(title)s” also studied this") % {"title": pick.about}
    return _("Members of your branch studied this")


# --- live -------------------------------------------------------------------------------------------------


@dataclass
class Recommendation:
    resource: Resource
    reason: str
    score: float


def recommend(user: Any, *, limit: int = 10) -> list[Recommendation]:
    """Up to ``limit`` resources for the user's member record, best first, each with its explanation."""
    from .maps import map_gaps, roles_of

    member: Member | None = getattr(user, "member", None)
    if member is None:
        return []
    resources = list(
        resources_for_study(user)
        .order_by("-published_at", "-id")
        .only("id", "title", "tokens", "target_roles", "kind", "duration", "summary", "org_path", "published_at")[
            :MAX_CANDIDATES
        ]
    )
    by_id = {r.pk: r for r in resources}
    progress = list(
        StudyProgress.objects.filter(member=member)
        .order_by("started_at")
        .values_list("resource_id", "study_ms", "completed_at")
    )
    history = [rid for rid, ms, done in progress if done or ms >= STUDIED_MS]
    started = {rid for rid, _ms, _d in progress}
    gaps = {r.pk for r in map_gaps(member)} & set(by_id)
    roles = roles_of([member])[member.pk]
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for a, b, s in ItemNeighbour.objects.filter(
        resource_id__in=history[-20:], neighbour_id__in=list(by_id)
    ).values_list("resource_id", "neighbour_id", "score"):
        neighbours[a][b] = s
    since = timezone.now() - dt.timedelta(days=POPULAR_DAYS)
    popular = dict(
        StudyProgress.objects.filter(
            member__org_path__startswith=branch_path_of(member.org_path),
            started_at__gte=since,
            resource_id__in=list(by_id),
        )
        .exclude(member=member)
        .values_list("resource_id")
        .annotate(n=Count("member_id"))
        .values_list("resource_id", "n")
    )
    engine = Hybrid({r.pk: r.tokens.split() for r in resources}, {r.pk: set(r.roles) for r in resources})
    titles = {r.pk: r.title for r in resources}
    if history:
        titles.update(Resource.objects.filter(pk__in=history[-20:]).values_list("id", "title"))
    post = " ".join(x for x in (member.job_title, member.department) if x)
    picks = engine.rank(
        candidates=[rid for rid in by_id if rid not in started or rid in gaps],
        roles=roles,
        post_tokens=textseg.topic_terms(post),
        history=history,
        gaps=gaps - set(history),
        neighbours=neighbours,
        popular=popular,
        titles=titles,
        post=member.job_title or post,
        limit=limit,
    )
    recs = [Recommendation(by_id[p.resource_id], explain(p, roles), p.score) for p in picks]
    return _weak_point_first(member, recs, by_id, done={rid for rid, _ms, d in progress if d}, limit=limit)


def _weak_point_first(
    member: Member, recs: list[Recommendation], by_id: dict[int, Resource], *, done: set[int], limit: int
) -> list[Recommendation]:
    """Put first what teaches the knowledge points the member answered worst in exams (exams' mastery),
    among resources the member may see and has not completed."""
    from .hooks import weak_points

    weak = weak_points(member.pk)
    if not weak:
        return recs
    teach: dict[int, str] = {}
    for rid, kp in Resource.knowledge_points.through.objects.filter(
        resource_id__in=[rid for rid in by_id if rid not in done], knowledgepoint__name__in=weak
    ).values_list("resource_id", "knowledgepoint__name"):
        teach.setdefault(rid, kp)
    ranked = sorted(teach.items(), key=lambda kv: weak.index(kv[1]))[:3]
    first = [
        Recommendation(by_id[rid], _("You lost marks on “%(kp)s” in exams") % {"kp": kp}, 1.0) for rid, kp in ranked
    ]
    chosen = {r.resource.pk for r in first}
    return (first + [r for r in recs if r.resource.pk not in chosen])[:limit]


@transaction.atomic
def neighbours_rebuild(*, batch: int = 20_000) -> int:
    """Recompute ItemNeighbour from all study records (nightly): members' baskets streamed in member order."""
    baskets: dict[int, set[int]] = defaultdict(set)
    rows = (
        StudyProgress.objects.filter(study_ms__gte=STUDIED_MS)
        .order_by("member_id")
        .values_list("member_id", "resource_id")
    )
    for member_id, rid in rows.iterator(chunk_size=batch):
        baskets[member_id].add(rid)
    sims = cooccurrence(baskets.values())
    ItemNeighbour.objects.all().delete()
    objs = [ItemNeighbour(resource_id=i, neighbour_id=j, score=s) for i, n in sims.items() for j, s in n.items()]
    ItemNeighbour.objects.bulk_create(objs, batch_size=5000)
    return len(objs)
