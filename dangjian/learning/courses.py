"""Reads of courses: a member's progress through a course's items and whether its completion rule is met."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .hooks import exam_passed
from .models import Course, Resource, StudyProgress


@dataclass
class CourseItemView:
    resource: Resource
    progress: StudyProgress | None

    @property
    def done(self) -> bool:
        return bool(self.progress and self.progress.completed_at)

    @property
    def percent(self) -> int:
        if not self.progress or not self.resource.duration:
            return 0
        return min(100, round(100 * self.progress.furthest / self.resource.duration))


@dataclass
class CourseProgress:
    course: Course
    items: list[CourseItemView]
    quiz_passed: bool | None

    @property
    def done_count(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def minutes(self) -> int:
        return sum(i.progress.study_ms for i in self.items if i.progress) // 60_000

    @property
    def rule_met(self) -> bool:
        c = self.course
        if c.rule == Course.Rule.COUNT:
            return self.done_count >= c.required_count
        if c.rule == Course.Rule.MINUTES:
            return self.minutes >= c.required_minutes
        return bool(self.items) and self.done_count == len(self.items)

    @property
    def complete(self) -> bool:
        return self.rule_met and self.quiz_passed is not False

    @property
    def percent(self) -> int:
        c = self.course
        if c.rule == Course.Rule.MINUTES:
            return min(100, round(100 * self.minutes / c.required_minutes)) if c.required_minutes else 0
        need = c.required_count if c.rule == Course.Rule.COUNT else len(self.items)
        return min(100, round(100 * self.done_count / need)) if need else 0


def course_progress(member: Any, course: Course) -> CourseProgress:
    """Two queries: the items with their resources, and the member's progress on them."""
    resources = [it.resource for it in course.items.select_related("resource", "resource__org", "resource__category")]
    progress = {}
    if member is not None:
        progress = {
            p.resource_id: p
            for p in StudyProgress.objects.filter(member=member, resource_id__in=[r.pk for r in resources])
        }
    quiz = exam_passed(member, course.exam_id) if (member is not None and course.exam_id) else None
    return CourseProgress(course, [CourseItemView(r, progress.get(r.pk)) for r in resources], quiz)
