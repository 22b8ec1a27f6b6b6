"""Papers: saving fixed papers and random rules (checked against the bank when saved), and drawing one attempt's
paper — questions, versions, points and option order — with a constant number of queries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import require_org_perm
from dangjian.orgs.models import Org

from .models import (
    Category,
    KnowledgePoint,
    Paper,
    PaperItem,
    PaperRule,
    Question,
    QuestionBank,
    QuestionType,
    describe_rule,
)

MAX_QUESTIONS = 300
MAX_RULES = 12


@dataclass
class RuleSpec:
    type: str
    count: int
    points: Decimal
    difficulty_min: int = 1
    difficulty_max: int = 5
    category: Category | None = None
    knowledge_point: KnowledgePoint | None = None


@dataclass
class Slot:
    """One question of an attempt's paper, in the paper's own order."""

    slot: int
    question_id: int
    version_id: int
    points: Decimal


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def _rule_q(rule: RuleSpec | PaperRule) -> Q:
    q = Q(type=rule.type, difficulty__gte=rule.difficulty_min, difficulty__lte=rule.difficulty_max)
    if rule.category is not None:
        q &= Q(category_path__startswith=rule.category.path)
    if rule.knowledge_point is not None:
        q &= Q(pk__in=Question.objects.filter(current_version__knowledge_points=rule.knowledge_point).values("pk"))
    return q


def rule_pools(bank: QuestionBank | int, rules: list[Any]) -> list[list[tuple[int, int]]]:
    """For each rule, the (question id, current version id) pairs of the bank's questions in use that match it.
    One query: the rules are OR-ed together and the rows sorted to their rules in Python."""
    if not rules:
        return []
    bank_id = bank if isinstance(bank, int) else bank.pk
    combined = Q(pk__in=[])
    for rule in rules:
        combined |= _rule_q(rule)
    rows = list(
        Question.objects.filter(combined, bank_id=bank_id, is_active=True, current_version__isnull=False).values_list(
            "id", "current_version_id", "type", "difficulty", "category_path"
        )
    )
    kp_sets: dict[int, set[int]] = {}
    for rule in rules:
        kp = rule.knowledge_point
        if kp is not None and kp.pk not in kp_sets:
            kp_sets[kp.pk] = set(
                Question.objects.filter(bank_id=bank_id, current_version__knowledge_points=kp).values_list(
                    "id", flat=True
                )
            )
    pools = []
    for rule in rules:
        prefix = rule.category.path if rule.category is not None else ""
        kp_ids = kp_sets.get(rule.knowledge_point.pk) if rule.knowledge_point is not None else None
        pools.append(
            [
                (qid, vid)
                for qid, vid, t, d, path in rows
                if t == rule.type
                and rule.difficulty_min <= d <= rule.difficulty_max
                and path.startswith(prefix)
                and (kp_ids is None or qid in kp_ids)
            ]
        )
    return pools


def check_rules(bank: QuestionBank, rules: list[RuleSpec]) -> None:
    """Refuse rules the bank cannot satisfy, naming the rule: each on its own, and every group of rules that draw
    from overlapping questions together (Hall's condition, so that no question is needed twice)."""
    pools = rule_pools(bank, rules)
    errors = []
    for i, (rule, pool) in enumerate(zip(rules, pools, strict=True)):
        if len(pool) < rule.count:
            errors.append(
                {
                    "field": f"rules.{i}",
                    "message": _("Rule %(n)d (%(rule)s) needs %(need)d questions; the bank has %(have)d that match.")
                    % {"n": i + 1, "rule": describe_rule(rule), "need": rule.count, "have": len(pool)},
                }
            )  # type: ignore[arg-type]
    if not errors and len(rules) > 1:
        sets = [{q for q, _v in pool} for pool in pools]
        for size in range(2, len(rules) + 1):
            for group in combinations(range(len(rules)), size):
                union = set().union(*(sets[i] for i in group))
                need = sum(rules[i].count for i in group)
                if len(union) < need:
                    names = ", ".join(str(i + 1) for i in group)
                    errors.append(
                        {
                            "field": "rules",
                            "message": _(
                                "Rules %(names)s together need %(need)d different questions; the bank has %(have)d that match them."
                            )
                            % {"names": names, "need": need, "have": len(union)},
                        }
                    )
                    break
            if errors:
                break
    if errors:
        raise DomainError(errors[0]["message"], errors)


def _check_paper_org(bank: QuestionBank, org: Org, acting_user: Any) -> None:
    require_org_perm(acting_user, org, "members.manage")
    if not org.path.startswith(bank.org_path):
        raise _err("bank", _("This bank is not shared with that organisation."))


@transaction.atomic
def paper_save_random(
    *,
    bank: QuestionBank,
    org: Org,
    name: str,
    rules: list[RuleSpec],
    acting_user: Any,
    paper: Paper | None = None,
    shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> Paper:
    """Create or replace a random paper's rules, after checking the bank can satisfy them."""
    _check_paper_org(bank, org, acting_user)
    if not name.strip():
        raise _err("name", _("Give the paper a name."))
    if not rules:
        raise _err("rules", _("Add at least one rule."))
    if len(rules) > MAX_RULES:
        raise _err("rules", _("At most %(n)d rules.") % {"n": MAX_RULES})
    for i, r in enumerate(rules):
        if r.type not in QuestionType.values:
            raise _err(f"rules.{i}.type", _("Unknown question type."))
        if not 1 <= r.count <= MAX_QUESTIONS or not (Decimal("0") < r.points <= Decimal("100")):
            raise _err(
                f"rules.{i}", _("Rule %(n)d: the number of questions and the points must be positive.") % {"n": i + 1}
            )
        if not 1 <= r.difficulty_min <= r.difficulty_max <= 5:
            raise _err(
                f"rules.{i}.difficulty", _("Rule %(n)d: difficulty runs from 1 to 5, lowest first.") % {"n": i + 1}
            )
        if (r.category is not None and r.category.bank_id != bank.pk) or (
            r.knowledge_point is not None and r.knowledge_point.bank_id != bank.pk
        ):
            raise _err(f"rules.{i}", _("Rule %(n)d names a category of another bank.") % {"n": i + 1})
    if sum(r.count for r in rules) > MAX_QUESTIONS:
        raise _err("rules", _("A paper has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    check_rules(bank, rules)
    paper = _paper_header(
        paper,
        bank=bank,
        org=org,
        name=name,
        kind=Paper.Kind.RANDOM,
        acting_user=acting_user,
        shuffle_questions=shuffle_questions,
        shuffle_options=shuffle_options,
    )
    paper.rules.all().delete()
    PaperRule.objects.bulk_create(
        [
            PaperRule(
                paper=paper,
                position=i,
                type=r.type,
                count=r.count,
                difficulty_min=r.difficulty_min,
                difficulty_max=r.difficulty_max,
                category=r.category,
                knowledge_point=r.knowledge_point,
                points=r.points,
            )
            for i, r in enumerate(rules)
        ]
    )
    paper.question_count = sum(r.count for r in rules)
    paper.max_score = sum((r.points * r.count for r in rules), Decimal("0.00"))
    paper.save(update_fields=["question_count", "max_score"])
    audit(acting_user, "exams.paper_save", paper, org_path=org.path, after={"rules": [describe_rule(r) for r in rules]})  # type: ignore[arg-type]
    return paper


@transaction.atomic
def paper_save_fixed(
    *,
    bank: QuestionBank,
    org: Org,
    name: str,
    items: list[tuple[int, Decimal]],
    acting_user: Any,
    paper: Paper | None = None,
    shuffle_questions: bool = False,
    shuffle_options: bool = True,
) -> Paper:
    """Create or replace a fixed paper: (question id, points) in order; every question must be in use in the bank."""
    _check_paper_org(bank, org, acting_user)
    if not name.strip():
        raise _err("name", _("Give the paper a name."))
    if not items:
        raise _err("items", _("Choose at least one question."))
    if len(items) > MAX_QUESTIONS:
        raise _err("items", _("A paper has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    ids = [q for q, _p in items]
    if len(set(ids)) != len(ids):
        raise _err("items", _("A question appears twice."))
    found = set(Question.objects.filter(bank=bank, pk__in=ids, is_active=True).values_list("pk", flat=True))
    missing = [str(q) for q in ids if q not in found]
    if missing:
        raise _err("items", _("Not questions in use in this bank: %(ids)s.") % {"ids": ", ".join(missing)})
    if any(not (Decimal("0") < p <= Decimal("100")) for _q, p in items):
        raise _err("items", _("Points must be more than 0 and at most 100."))
    paper = _paper_header(
        paper,
        bank=bank,
        org=org,
        name=name,
        kind=Paper.Kind.FIXED,
        acting_user=acting_user,
        shuffle_questions=shuffle_questions,
        shuffle_options=shuffle_options,
    )
    paper.items.all().delete()
    PaperItem.objects.bulk_create(
        [PaperItem(paper=paper, question_id=q, points=p, position=i) for i, (q, p) in enumerate(items)]
    )
    paper.question_count = len(items)
    paper.max_score = sum((p for _q, p in items), Decimal("0.00"))
    paper.save(update_fields=["question_count", "max_score"])
    audit(acting_user, "exams.paper_save", paper, org_path=org.path, after={"questions": ids})
    return paper


def _paper_header(paper: Paper | None, **fields: Any) -> Paper:
    acting_user = fields.pop("acting_user")
    if paper is None:
        return Paper.objects.create(org_path=fields["org"].path, created_by=acting_user, **fields)
    if paper.kind != fields["kind"]:
        raise _err("kind", _("A paper keeps its kind; make a new paper instead."))
    for k, v in fields.items():
        setattr(paper, k, v)
    paper.org_path = fields["org"].path
    paper.save()
    return paper


# --- drawing one attempt's paper -----------------------------------------------------------------


def _match(
    pools: list[list[tuple[int, int]]], counts: list[int], rng: random.Random
) -> list[list[tuple[int, int]]] | None:
    """Choose count[i] distinct questions from pools[i] for every rule: random greedy first, then augmenting paths
    (bipartite matching of slots to questions) when rules overlap and the greedy draw got stuck."""
    # The greedy pass looks no further into a shuffled pool than its own count plus the questions taken before, so
    # that prefix of a random permutation is all it needs (a pool of thousands is not shuffled whole per start).
    reach = sum(counts)
    shuffled = [rng.sample(pool, min(len(pool), n + reach)) for pool, n in zip(pools, counts, strict=True)]
    used: set[int] = set()
    picked: list[list[tuple[int, int]]] = []
    for pool, n in zip(shuffled, counts, strict=True):
        take = [p for p in pool if p[0] not in used][:n]
        if len(take) < n:
            return _match_exact([rng.sample(pool, len(pool)) for pool in pools], counts)
        used.update(q for q, _v in take)
        picked.append(take)
    return picked


def _match_exact(pools: list[list[tuple[int, int]]], counts: list[int]) -> list[list[tuple[int, int]]] | None:
    slots = [r for r, n in enumerate(counts) for _ in range(n)]
    owner: dict[int, int] = {}  # question id -> slot index
    version = {q: v for pool in pools for q, v in pool}

    def augment(s: int, seen: set[int]) -> bool:
        for q, _v in pools[slots[s]]:
            if q in seen:
                continue
            seen.add(q)
            if q not in owner or augment(owner[q], seen):
                owner[q] = s
                return True
        return False

    for s in range(len(slots)):
        if not augment(s, set()):
            return None
    picked: list[list[tuple[int, int]]] = [[] for _ in counts]
    for q, s in sorted(owner.items(), key=lambda kv: kv[1]):
        picked[slots[s]].append((q, version[q]))
    return picked


class RandomDraw(NamedTuple):
    """What a random paper draws from: its rules as (count, points), in order, and each rule's pool."""

    rules: list[tuple[int, Decimal]]
    pools: list[list[tuple[int, int]]]


# What each paper draws from (a fixed paper's slots, or a RandomDraw), by (paper id, paper's last change, its bank's
# revision): a company-wide exam's burst of starts then reads neither the rules nor the pools (for a bank of
# thousands of questions, thousands of rows a start). Any change to the paper (updated_at) or to a question of the
# bank (QuestionBank.revision) makes a new key.
_DRAWS: dict[tuple[int, Any, int], list[Slot] | RandomDraw] = {}
DRAWS_MAX = 256


def _draw_inputs(paper: Paper) -> list[Slot] | RandomDraw:
    key = (paper.pk, paper.updated_at, paper.bank.revision)
    found = _DRAWS.get(key)
    if found is not None:
        return found
    made: list[Slot] | RandomDraw
    if paper.kind == Paper.Kind.FIXED:
        rows = (
            PaperItem.objects.filter(paper=paper, question__is_active=True, question__current_version__isnull=False)
            .order_by("position")
            .values_list("question_id", "question__current_version_id", "points")
        )
        made = [Slot(i, q, v, p) for i, (q, v, p) in enumerate(rows)]
    else:
        rules = list(paper.rules.select_related("category", "knowledge_point").order_by("position"))
        made = RandomDraw([(r.count, r.points) for r in rules], rule_pools(paper.bank_id, rules))
    if len(_DRAWS) >= DRAWS_MAX:
        _DRAWS.clear()
    _DRAWS[key] = made
    return made


def draw(paper: Paper, rng: random.Random) -> list[Slot]:
    """The questions of one attempt in the paper's order (slot), with their current versions and points."""
    inputs = _draw_inputs(paper)
    if not isinstance(inputs, RandomDraw):
        return list(inputs)
    picked = _match(inputs.pools, [count for count, _points in inputs.rules], rng)
    if picked is None:
        raise DomainError(
            _("The question bank can no longer fill this paper: questions were taken out of use. Tell the organiser."),
            status=409,
        )
    out: list[Slot] = []
    for (_count, points), chosen in zip(inputs.rules, picked, strict=True):
        for q, v in sorted(chosen):
            out.append(Slot(len(out), q, v, points))
    return out
