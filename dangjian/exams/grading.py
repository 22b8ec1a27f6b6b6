"""Automatic grading of the four question types: pure functions over a version's answer and a member's response.

Whatever a client sends is graded without raising: an unknown option id (e.g. one from another question) counts
as a wrong choice, duplicates count once, an empty answer scores 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .models import Exam, QuestionType

CENT = Decimal("0.01")
_SPACE = re.compile(r"\s+")
TRUE_WORDS = {"true", "t", "1", "yes", "y", "对", "正确", "是", "√", "✓"}
FALSE_WORDS = {"false", "f", "0", "no", "n", "错", "错误", "否", "×", "✗"}


def normalise_text(value: Any) -> str:
    """NFKC (full-width letters, digits and punctuation become half-width), no whitespace at all, case-folded."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else ""))
    return _SPACE.sub("", text).casefold()


def parse_bool(value: Any) -> bool | None:
    """A judge answer as a bool; None when it is neither true nor false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = normalise_text(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _as_ids(value: Any) -> set[str]:
    if value is None or value == "":
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable) and not isinstance(value, dict):
        return {str(v) for v in value if isinstance(v, str | int) and str(v) != ""}
    return set()


def _blanks(value: Any, n: int) -> list[str]:
    if isinstance(value, str) or value is None or isinstance(value, int | float):
        values: list[Any] = [value] if n == 1 else ([] if value is None else str(value).split("|"))
    elif isinstance(value, list):
        values = value
    else:
        values = []
    values = [v if isinstance(v, str | int | float) else "" for v in values[:n]]
    return [normalise_text(v) for v in values] + [""] * (n - len(values))


def fraction(
    *, type: str, answer: Any, options: list[dict[str, Any]], response: Any, partial: str = Exam.Partial.NONE
) -> Decimal:
    """The share of the question's points earned, from 0 to 1."""
    if type == QuestionType.SINGLE:
        chosen = _as_ids(response)
        key = str(answer)
        return (
            Decimal(1)
            if len(chosen) == 1 and key in chosen and any(str(o["id"]) == key for o in options)
            else Decimal(0)
        )
    if type == QuestionType.MULTIPLE:
        chosen = _as_ids(response)
        right = {str(a) for a in answer}
        if not chosen:
            return Decimal(0)
        if chosen == right:
            return Decimal(1)
        if chosen - right or partial == Exam.Partial.NONE:
            return Decimal(0)  # anything wrong (an unknown id included), or no partial credit
        if partial == Exam.Partial.HALF:
            return Decimal("0.5")
        return Decimal(len(chosen)) / Decimal(len(right))
    if type == QuestionType.JUDGE:
        given = parse_bool(response)
        return Decimal(1) if given is not None and given == bool(answer) else Decimal(0)
    if type == QuestionType.BLANK:
        accepted = [{normalise_text(v) for v in variants} for variants in answer]
        if not accepted:
            return Decimal(0)
        texts = _blanks(response, len(accepted))
        hits = sum(1 for g, ok in zip(texts, accepted, strict=True) if g and g in ok)
        return Decimal(hits) / Decimal(len(accepted))
    return Decimal(0)


def score(
    *,
    points: Decimal,
    type: str,
    answer: Any,
    options: list[dict[str, Any]],
    response: Any,
    partial: str = Exam.Partial.NONE,
) -> Decimal:
    """Points earned, rounded half-up to 0.01."""
    share = fraction(type=type, answer=answer, options=options, response=response, partial=partial)
    return (points * share).quantize(CENT, rounding=ROUND_HALF_UP)


def is_blank_response(value: Any) -> bool:
    return (
        value is None or value == "" or value == [] or (isinstance(value, list) and all(v in (None, "") for v in value))
    )
