"""Offline evaluation of recommendations: precision@k and recall@k on a time-based split of the study history,
the hybrid (recommend.Hybrid, the code the site runs) against recommending what is most popular."""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Q

from dangjian.core.scoping import path_q
from dangjian.orgs.models import Member, Org

from . import textseg
from .maps import _items_for, roles_of
from .models import LearningMap, MapItem, Resource, StudyProgress
from .recommend import STUDIED_MS, Hybrid, cooccurrence
from .selectors import BRANCH_KINDS, STEP


@dataclass
class EvalResult:
    k: int
    split_at: str
    members: int
    train_rows: int
    test_rows: int
    hybrid_precision: float
    hybrid_recall: float
    popularity_precision: float
    popularity_recall: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _visible(path: str, resources: list[tuple[int, str, bool]]) -> list[int]:
    return [rid for rid, owner, group in resources if path.startswith(owner) or (group and path[:STEP] == owner[:STEP])]


def evaluate_offline(
    *, k: int = 10, test_fraction: float = 0.2, max_members: int = 3000, seed: int = 1
) -> EvalResult | None:
    """Train on study records that started before the split time, test on the items each member started after it.

    Members with at least one test item are evaluated (up to ``max_members``, a deterministic sample); new members
    with no training history are included (the hybrid falls back to branch popularity for them). Both rankers see
    only resources the member may study and leave out what the member studied before the split."""
    started = time.perf_counter()
    rows = list(
        StudyProgress.objects.filter(
            Q(study_ms__gte=STUDIED_MS) | Q(completed_at__isnull=False), resource__status=Resource.Status.PUBLISHED
        )
        .order_by("started_at", "id")
        .values_list("member_id", "resource_id", "started_at")
    )
    if len(rows) < 20:
        return None
    cut = rows[int(len(rows) * (1 - test_fraction))][2]
    train = [(m, r) for m, r, at in rows if at < cut]
    test = [(m, r) for m, r, at in rows if at >= cut]
    history: dict[int, list[int]] = defaultdict(list)
    for m, r in train:
        history[m].append(r)
    truth: dict[int, set[int]] = defaultdict(set)
    for m, r in test:
        if r not in history[m]:
            truth[m].add(r)
    members_ids = sorted(m for m, items in truth.items() if items)
    rng = random.Random(seed)
    if len(members_ids) > max_members:
        members_ids = sorted(rng.sample(members_ids, max_members))
    members = list(
        Member.objects.filter(pk__in=members_ids).only("id", "org_path", "job_title", "department", "user_id")
    )
    roles = roles_of(members)
    roots = sorted({m.org_path[:STEP] for m in members})
    res = list(
        Resource.objects.filter(path_q(roots), status=Resource.Status.PUBLISHED).values_list(
            "id", "org_path", "group_wide", "tokens", "target_roles"
        )
    )
    resources = [(rid, path, group) for rid, path, group, _t, _r in res]
    engine = Hybrid(
        {rid: toks.split() for rid, _p, _g, toks, _r in res}, {rid: set(r.split()) for rid, _p, _g, _t, r in res}
    )
    neighbours = cooccurrence(set(items) for items in history.values())
    popular = Counter(r for _m, r in train)
    branches = sorted(Org.objects.filter(kind__in=BRANCH_KINDS).values_list("path", flat=True), key=len, reverse=True)
    member_branch = {
        mid: next((b for b in branches if path.startswith(b)), path)
        for mid, path in Member.objects.filter(pk__in={m for m, _r in train} | set(members_ids)).values_list(
            "id", "org_path"
        )
    }
    branch_pop: dict[str, Counter[int]] = defaultdict(Counter)
    for m, r in train:
        branch_pop[member_branch.get(m, "")][r] += 1
    maps = list(LearningMap.objects.all())
    items = list(
        MapItem.objects.filter(map__in=maps, resource__status=Resource.Status.PUBLISHED).select_related("resource")
    )
    visible_cache: dict[str, list[int]] = {}
    sums = {"hp": 0.0, "hr": 0.0, "pp": 0.0, "pr": 0.0}
    evaluated = 0
    for member in members:
        seen = history.get(member.pk, [])
        cands = visible_cache.setdefault(member.org_path, _visible(member.org_path, resources))
        gaps = {rid for rid, it in _items_for(member, roles[member.pk], maps, items).items() if it.required} - set(seen)
        post = " ".join(x for x in (member.job_title, member.department) if x)
        picks = engine.rank(
            candidates=cands,
            roles=roles[member.pk],
            post_tokens=textseg.topic_terms(post),
            history=seen,
            gaps=gaps,
            neighbours=neighbours,
            popular=branch_pop[member_branch.get(member.pk, "")],
            limit=k,
        )
        got = {p.resource_id for p in picks}
        seen_set, cand_set = set(seen), set(cands)
        baseline = [rid for rid, _n in popular.most_common() if rid in cand_set and rid not in seen_set][:k]
        relevant = truth[member.pk] & cand_set
        if not relevant:
            continue
        evaluated += 1
        sums["hp"] += len(got & relevant) / k
        sums["hr"] += len(got & relevant) / len(relevant)
        sums["pp"] += len(set(baseline) & relevant) / k
        sums["pr"] += len(set(baseline) & relevant) / len(relevant)
    n = evaluated or 1
    return EvalResult(
        k=k,
        split_at=cut.isoformat(timespec="seconds"),
        members=evaluated,
        train_rows=len(train),
        test_rows=len(test),
        hybrid_precision=sums["hp"] / n,
        hybrid_recall=sums["hr"] / n,
        popularity_precision=sums["pp"] / n,
        popularity_recall=sums["pr"] / n,
        seconds=time.perf_counter() - started,
    )
