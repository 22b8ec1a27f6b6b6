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


# member id -> names of the knowledge points the member is weakest at in exams, weakest first.
_weak_points: Callable[[int], list[str]] | None = None


def register_weak_points(source: Callable[[int], list[str]]) -> None:
    """Called by dangjian.exams: what a member should study next, from their exam answers."""
    global _weak_points
    _weak_points = source


def weak_points(member_id: int) -> list[str]:
    return [] if _weak_points is None else list(_weak_points(member_id))
