"""Writes to the question bank: banks, categories, questions and their versions.

Question content arrives in the same plain form from the web form and from the import file — options one per
line (or per column), the answer as letters ("B", "ACD"), 对/错, or blanks "中国共产党|中共；人民" — and is
parsed once here into stable option ids and a typed answer.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core.audit import audit
from dangjian.core.errors import DomainError
from dangjian.core.scoping import require_org_perm
from dangjian.orgs.models import Org

from .grading import normalise_text, parse_bool
from .models import (
    AttemptQuestion,
    Category,
    ChallengeRun,
    KnowledgePoint,
    Question,
    QuestionBank,
    QuestionType,
    QuestionVersion,
)

LETTERS = "ABCDEFGH"
MAX_OPTIONS = len(LETTERS)
BLANK_MARK = re.compile(r"_{2,}|＿{2,}")
TYPE_ALIASES = {
    "单选": "single",
    "单选题": "single",
    "single": "single",
    "多选": "multiple",
    "多选题": "multiple",
    "multiple": "multiple",
    "判断": "judge",
    "判断题": "judge",
    "judge": "judge",
    "填空": "blank",
    "填空题": "blank",
    "blank": "blank",
}
MANAGE = "members.manage"


def _err(field: str, message: str) -> DomainError:
    return DomainError(message, [{"field": field, "message": message}])


def new_option_id() -> str:
    return secrets.token_hex(4)


def blank_count(stem: str) -> int:
    """Blanks are runs of two or more underscores in the stem; a stem without any has one blank at the end."""
    return max(1, len(BLANK_MARK.findall(stem)))


@dataclass
class QuestionContent:
    type: str
    stem: str
    options: list[dict[str, str]] = field(default_factory=list)
    answer: Any = None
    explanation: str = ""
    difficulty: int = 3
    knowledge_points: list[str] = field(default_factory=list)
    category: str = ""


def _split_list(raw: Any) -> list[str]:
    return [p.strip() for p in re.split(r"[,，、;；\n]", str(raw or "")) if p.strip()]


def parse_content(
    data: dict[str, Any], *, old_options: list[dict[str, str]] | None = None, new_id: Any = new_option_id
) -> tuple[QuestionContent | None, list[dict[str, str]]]:
    """Validate plain question fields; return the parsed content or the list of field errors.

    ``data``: type, stem, options (list of texts), answer, explanation, difficulty, knowledge_points, category.
    Option ids are kept from ``old_options`` position by position, so an edited question keeps its ids; new ones
    come from ``new_id()`` (random; the demo passes a seeded generator so that it stays deterministic).
    """
    errors: list[dict[str, str]] = []

    def bad(f: str, m: str) -> None:
        errors.append({"field": f, "message": m})

    qtype = TYPE_ALIASES.get(str(data.get("type") or "").strip().lower())
    if qtype is None:
        bad("type", _("Unknown question type: use single, multiple, judge or blank (单选/多选/判断/填空)."))
    stem = str(data.get("stem") or "").strip()
    if not stem:
        bad("stem", _("The question text is empty."))
    elif len(stem) > 4000:
        bad("stem", _("The question text is longer than 4000 characters."))
    try:
        difficulty = int(str(data.get("difficulty") or 3).strip())
        if not 1 <= difficulty <= 5:
            raise ValueError
    except ValueError:
        bad("difficulty", _("Difficulty must be a whole number from 1 to 5."))
        difficulty = 3
    texts = [str(t).strip() for t in (data.get("options") or []) if str(t or "").strip()]
    raw_answer = data.get("answer")
    answer: Any = None
    options: list[dict[str, str]] = []
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if len(texts) < 2:
            bad("options", _("Give at least two options."))
        elif len(texts) > MAX_OPTIONS:
            bad("options", _("At most %(n)d options.") % {"n": MAX_OPTIONS})
        elif len({normalise_text(t) for t in texts}) != len(texts):
            bad("options", _("Two options have the same text."))
        old = old_options or []
        options = [{"id": old[i]["id"] if i < len(old) else new_id(), "text": t[:500]} for i, t in enumerate(texts)]
        letters = [c for c in normalise_text(raw_answer).upper() if c.isalpha()]
        if not letters:
            bad("answer", _("Give the right option as letters, e.g. B or ACD."))
        elif any(c not in LETTERS[: len(options)] for c in letters):
            bad("answer", _("The answer names an option that does not exist."))
        elif qtype == QuestionType.SINGLE and len(set(letters)) != 1:
            bad("answer", _("A single-choice question has exactly one right option."))
        elif options:
            ids = sorted({options[LETTERS.index(c)]["id"] for c in letters})
            answer = ids[0] if qtype == QuestionType.SINGLE else ids
    elif qtype == QuestionType.JUDGE:
        answer = parse_bool(raw_answer)
        if answer is None:
            bad("answer", _("The answer of a true-or-false question is 对 or 错 (true or false)."))
    elif qtype == QuestionType.BLANK:
        raw = raw_answer if isinstance(raw_answer, list) else re.split(r"[;；\n]", str(raw_answer or ""))
        blanks = []
        for part in raw:
            variants = part if isinstance(part, list) else re.split(r"[|｜]", str(part))
            variants = [str(v).strip() for v in variants if str(v).strip()]
            if variants:
                blanks.append(variants)
        if not blanks:
            bad("answer", _("Give the accepted answer of each blank, variants separated by |."))
        elif stem and len(blanks) != blank_count(stem):
            bad(
                "answer",
                _("The question text has %(m)d blanks (____) but %(n)d answers are given.")
                % {"m": blank_count(stem), "n": len(blanks)},
            )
        answer = blanks
    if errors:
        return None, errors
    assert qtype is not None
    kps = list(dict.fromkeys(k[:64] for k in _split_list(data.get("knowledge_points"))))
    return QuestionContent(
        type=qtype,
        stem=stem,
        options=options,
        answer=answer,
        explanation=str(data.get("explanation") or "").strip(),
        difficulty=difficulty,
        knowledge_points=kps,
        category=str(data.get("category") or "").strip().strip("/"),
    ), []


# --- banks and categories -----------------------------------------------------------------------


@transaction.atomic
def bank_create(*, org: Org, name: str, acting_user: Any, description: str = "") -> QuestionBank:
    require_org_perm(acting_user, org, MANAGE)
    if not name.strip():
        raise _err("name", _("Give the bank a name."))
    bank = QuestionBank.objects.create(
        org=org, org_path=org.path, name=name.strip()[:128], description=description, created_by=acting_user
    )
    audit(acting_user, "exams.bank_create", bank, org_path=org.path, after={"name": bank.name})
    return bank


def category_ensure(*, bank: QuestionBank, full_name: str) -> Category | None:
    """The category named "党章/总纲" (created with its parents when missing); None for an empty name."""
    names = [n.strip()[:64] for n in re.split(r"[/／>]", full_name) if n.strip()]
    parent = None
    for depth in range(1, len(names) + 1):
        full = "/".join(names[:depth])
        cat = Category.objects.filter(bank=bank, full_name=full).first()
        if cat is None:
            cat = Category.objects.create(bank=bank, parent=parent, name=names[depth - 1], full_name=full, path="")
            cat.path = f"{parent.path if parent else '/'}{cat.pk}/"
            cat.save(update_fields=["path"])
        parent = cat
    return parent


def _knowledge_points(bank: QuestionBank, names: list[str]) -> list[KnowledgePoint]:
    if not names:
        return []
    existing = {k.name: k for k in KnowledgePoint.objects.filter(bank=bank, name__in=names)}
    missing = [KnowledgePoint(bank=bank, name=n) for n in names if n not in existing]
    if missing:
        KnowledgePoint.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {k.name: k for k in KnowledgePoint.objects.filter(bank=bank, name__in=names)}
    return [existing[n] for n in names]


# --- questions ----------------------------------------------------------------------------------


def _write_version(question: Question, content: QuestionContent, *, number: int, acting_user: Any) -> QuestionVersion:
    version = QuestionVersion.objects.create(
        question=question,
        number=number,
        type=content.type,
        stem=content.stem,
        options=content.options,
        answer=content.answer,
        explanation=content.explanation,
        difficulty=content.difficulty,
        created_by=acting_user,
    )
    version.knowledge_points.set(_knowledge_points(question.bank, content.knowledge_points))
    return version


def _mirror(question: Question, content: QuestionContent, version: QuestionVersion) -> None:
    category = category_ensure(bank=question.bank, full_name=content.category) if content.category else None
    question.category = category
    question.category_path = category.path if category else ""
    question.type, question.difficulty, question.current_version = content.type, content.difficulty, version
    question.save()


@transaction.atomic
def question_create(
    *, bank: QuestionBank, content: QuestionContent, acting_user: Any, audited: bool = True
) -> Question:
    require_org_perm(acting_user, bank.org, MANAGE)
    question = Question.objects.create(bank=bank, type=content.type, difficulty=content.difficulty)
    version = _write_version(question, content, number=1, acting_user=acting_user)
    _mirror(question, content, version)
    if audited:
        audit(
            acting_user, "exams.question_create", question, org_path=bank.org_path, after={"stem": content.stem[:200]}
        )
    return question


def version_in_use(version: QuestionVersion) -> bool:
    return (
        AttemptQuestion.objects.filter(version=version).exists()
        or ChallengeRun.objects.filter(current_version=version).exists()
    )


def _same(version: QuestionVersion, content: QuestionContent) -> bool:
    kps = sorted(version.knowledge_points.values_list("name", flat=True))
    return (
        version.type,
        version.stem,
        version.options,
        version.answer,
        version.explanation,
        version.difficulty,
        kps,
    ) == (
        content.type,
        content.stem,
        content.options,
        content.answer,
        content.explanation,
        content.difficulty,
        sorted(content.knowledge_points),
    )


@transaction.atomic
def question_edit(*, question: Question, content: QuestionContent, acting_user: Any) -> QuestionVersion:
    """Change a question. A version anyone has been given stays as it was: the change becomes a new version."""
    require_org_perm(acting_user, question.bank.org, MANAGE)
    question = (
        Question.objects.select_for_update(of=("self",)).select_related("bank", "current_version").get(pk=question.pk)
    )
    current = question.current_version
    assert current is not None
    if _same(current, content):
        if content.category != (question.category.full_name if question.category_id else ""):  # type: ignore[union-attr]
            _mirror(question, content, current)
        return current
    if version_in_use(current):
        version = _write_version(question, content, number=current.number + 1, acting_user=acting_user)
    else:
        version = current
        for f in ("type", "stem", "options", "answer", "explanation", "difficulty"):
            setattr(version, f, getattr(content, f))
        version.save()
        version.knowledge_points.set(_knowledge_points(question.bank, content.knowledge_points))
    _mirror(question, content, version)
    audit(
        acting_user,
        "exams.question_edit",
        question,
        org_path=question.bank.org_path,
        before={"version": current.number, "stem": current.stem[:200]},
        after={"version": version.number, "stem": content.stem[:200]},
    )
    return version


@transaction.atomic
def question_set_active(*, question: Question, active: bool, acting_user: Any) -> Question:
    """Take a question out of use (no new paper draws it) or back; attempts keep their versions."""
    require_org_perm(acting_user, question.bank.org, MANAGE)
    question.is_active = active
    question.save(update_fields=["is_active", "updated_at"])
    audit(acting_user, "exams.question_active", question, org_path=question.bank.org_path, after={"active": active})
    return question


def content_as_plain(version: QuestionVersion, category: str = "") -> dict[str, Any]:
    """The plain form of a version (the inverse of parse_content), for the edit form and the export."""
    ids = [o["id"] for o in version.options]
    if version.type == QuestionType.SINGLE:
        answer = LETTERS[ids.index(version.answer)] if version.answer in ids else ""
    elif version.type == QuestionType.MULTIPLE:
        answer = "".join(
            LETTERS[ids.index(a)]
            for a in sorted(version.answer, key=lambda a: ids.index(a) if a in ids else 99)
            if a in ids
        )
    elif version.type == QuestionType.JUDGE:
        answer = "对" if version.answer else "错"
    else:
        answer = "；".join("|".join(b) for b in version.answer)
    return {
        "type": version.type,
        "stem": version.stem,
        "options": [o["text"] for o in version.options],
        "answer": answer,
        "explanation": version.explanation,
        "difficulty": version.difficulty,
        "category": category,
        "knowledge_points": "、".join(k.name for k in version.knowledge_points.all()),
    }
