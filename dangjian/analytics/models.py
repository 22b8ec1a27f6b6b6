"""Facts: what a member did, one row each, written by every module in the same transaction as its own write."""

from __future__ import annotations

from django.db import models


class FactKind(models.TextChoices):
    """Known kinds; modules add theirs here so that points and assessment can name them."""

    LOGIN = "login"
    MEETING_ATTENDED = "meeting.attended"
    LECTURE_GIVEN = "meeting.lecture_given"
    REVIEW_RESULT = "meeting.review_result"
    DUES_PAID_ON_TIME = "dues.paid_on_time"
    STUDY_SECONDS = "learning.study_seconds"
    RESOURCE_COMPLETED = "learning.completed"
    EXAM_SCORE = "exams.score"
    EXAM_PASSED = "exams.passed"
    CHALLENGE_CORRECT = "exams.challenge_correct"
    TASK_DONE = "tasks.done"
    VOLUNTEER_HOURS = "activities.volunteer_hours"
    STATUS_CHANGED = "orgs.status_changed"


class Fact(models.Model):
    """(member, org, kind, quantity, occurred_at, source). On PostgreSQL the table is partitioned by month."""

    # member: no index of its own, fact_member_kind_time leads with it.
    member = models.ForeignKey(
        "orgs.Member", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    org_path = models.CharField(max_length=255)
    kind = models.CharField(max_length=48)
    quantity = models.DecimalField(max_digits=14, decimal_places=2, default=1)
    occurred_at = models.DateTimeField()
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["org_path", "kind", "occurred_at"], name="fact_org_kind_time"),
            models.Index(fields=["member", "kind", "occurred_at"], name="fact_member_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.member_id} {self.quantity}"
