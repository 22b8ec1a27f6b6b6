"""Hooks other apps fill in, so that learning never imports them: the exams app tells whether a quiz is passed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (member, exam_id) -> True (passed), False (not yet) — set by the exams app in its AppConfig.ready().
_exam_passed: Callable[[Any, int], bool] | None = None


def register_exam_check(check: Callable[[Any, int], bool]) -> None:
    """Called by dangjian.exams: ``register_exam_check(lambda member, exam_id: ...)``."""
    global _exam_passed
    _exam_passed = check


def exam_passed(member: Any, exam_id: int) -> bool | None:
    """Whether the member passed the course's quiz; None while no exams app answers (the quiz then does not block)."""
    return None if _exam_passed is None else bool(_exam_passed(member, exam_id))
