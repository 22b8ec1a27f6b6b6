"""Exams (考试) and attempts: the window, the audience, the rules of grading and review, each attempt's own paper."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .bank import Question, QuestionVersion
from .papers import Paper


def default_statuses() -> list[str]:
    return ["full", "probationary"]


class Exam(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class Grading(models.TextChoices):
        HIGHEST = "highest", _("Highest attempt")
        LAST = "last", _("Last attempt")
        FIRST = "first", _("First attempt")

    class Review(models.TextChoices):
        NEVER = "never", _("Score only")
        AFTER_SUBMIT = "after_submit", _("Answers and explanations right after submitting")
        AFTER_CLOSE = "after_close", _("Answers and explanations after the exam closes")

    class Partial(models.TextChoices):
        NONE = "none", _("Exactly the right set, else nothing")
        HALF = "half", _("Half marks for a correct subset with nothing wrong")
        PROPORTIONAL = "proportional", _("In proportion to the correct options chosen, nothing wrong")

    class OnTimeout(models.TextChoices):
        SUBMIT = "submit", _("Submit what was saved")
        DISCARD = "discard", _("Not counted unless submitted in time")

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("for the members of")
    )
    org_path = models.CharField(max_length=255, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("instructions"), blank=True)
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="exams", verbose_name=_("paper"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), null=True, blank=True, help_text=_("Empty: until the exam closes.")
    )
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=1, help_text=_("0 = unlimited"))
    pass_percent = models.DecimalField(_("pass mark (%)"), max_digits=5, decimal_places=2, default=Decimal("60"))
    grading_method = models.CharField(
        _("grade counted"), max_length=8, choices=Grading.choices, default=Grading.HIGHEST
    )
    review_policy = models.CharField(
        _("members may review"), max_length=12, choices=Review.choices, default=Review.AFTER_CLOSE
    )
    multiple_partial = models.CharField(
        _("multiple choice scoring"), max_length=12, choices=Partial.choices, default=Partial.NONE
    )
    on_timeout = models.CharField(
        _("when time runs out"), max_length=8, choices=OnTimeout.choices, default=OnTimeout.SUBMIT
    )
    audience_statuses = models.JSONField(default=default_statuses, blank=True)
    audience_roles = models.JSONField(default=list, blank=True)  # org roles; empty = every member of the audience
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    competition = models.ForeignKey(
        "exams.Competition", null=True, blank=True, on_delete=models.CASCADE, related_name="rounds"
    )
    round_key = models.CharField(max_length=16, blank=True)  # "2026-W18", "2026-05", "2026-Q2" for competition rounds
    max_score = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0.00"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        indexes = [models.Index(fields=["org_path", "status", "closes_at"], name="exam_scope_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="exam_closes_after_opening"
            ),
            models.UniqueConstraint(
                fields=["competition", "round_key"],
                condition=models.Q(competition__isnull=False),
                name="one_exam_per_competition_round",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: object) -> bool:
        return self.status == self.Status.PUBLISHED and self.opens_at <= now < self.closes_at  # type: ignore[operator]


class Attempt(models.Model):
    """One try at an exam. ``answers`` holds what was saved in time, keyed by question id; ``deadline`` is enforced
    on the server. ``counts`` marks the attempt that gives the member's grade under the exam's grading method."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        ABANDONED = "abandoned", _("Not counted")

    # exam and member: no index of their own, the composite indexes below lead with them (fewer index writes at a
    # burst of submissions).
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="attempts", db_index=False)
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+", db_index=False)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")  # the member's branch at the start
    org_path = models.CharField(max_length=255)
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    answers = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0.00"))
    passed = models.BooleanField(null=True)
    counts = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "member", "number"], name="attempt_unique_number"),
            models.UniqueConstraint(
                fields=["exam", "member"], condition=models.Q(status="in_progress"), name="one_open_attempt"
            ),
        ]
        indexes = [
            models.Index(fields=["exam", "counts"], name="attempt_counted_idx"),
            # For the expiry job: open attempts only, so that closing an attempt does not write to it.
            models.Index(
                fields=["deadline"], name="attempt_open_deadline_idx", condition=models.Q(status="in_progress")
            ),
            models.Index(fields=["member", "exam"], name="attempt_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}/{self.member_id}#{self.number}"


class AttemptQuestion(models.Model):
    """One question of an attempt's own paper, exactly as it was shown: the version, the slot in the paper's order
    (``slot``), the place it was shown at (``position``) and the order of its options. The answer given is in
    ``Attempt.answers``; ``score`` is written when the attempt is graded."""

    # attempt and version: covered by attempt_question_unique and attemptq_version_idx. On PostgreSQL the table is
    # filled to half its pages (migration 0003) so that writing a score is a HOT update that touches no index.
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="uses", db_index=False)
    slot = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    points = models.DecimalField(max_digits=6, decimal_places=2)
    option_order = models.JSONField(default=list, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["attempt_id", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_unique")]
        indexes = [models.Index(fields=["version"], name="attemptq_version_idx")]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.position}"
