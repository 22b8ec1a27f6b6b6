from typing import Any

from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "dangjian.exams"
    label = "exams"

    def ready(self) -> None:
        from dangjian.learning import hooks

        from . import workbench  # noqa: F401  (registers the workbench provider)

        hooks.register_exam_check(_quiz_passed)
        hooks.register_weak_points(_weak_points)


def _quiz_passed(member: Any, exam_id: int) -> bool:
    """A course's quiz is passed when one of the member's submitted attempts passed."""
    from .models import Attempt

    return Attempt.objects.filter(exam_id=exam_id, member=member, passed=True).exists()


def _weak_points(member_id: int) -> list[str]:
    from .analysis import weak_knowledge_points

    return [row["kp"] for row in weak_knowledge_points(member_id, limit=3)]
