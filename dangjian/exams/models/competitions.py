"""Knowledge competitions (知识竞赛): recurring rounds (weekly, monthly, quarterly) and challenge mode."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .bank import Category, QuestionBank, QuestionVersion
from .papers import Paper


class Competition(models.Model):
    class Kind(models.TextChoices):
        RECURRING = "recurring", _("Recurring rounds")  # 周赛/月赛/季赛
        CHALLENGE = "challenge", _("Challenge: answer until the first mistake")  # 挑战答题

    class Recurrence(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    org = models.ForeignKey(
        "orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("for the members of")
    )
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    recurrence = models.CharField(_("recurrence"), max_length=10, choices=Recurrence.choices, blank=True)
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("paper")
    )
    time_limit_minutes = models.PositiveIntegerField(_("time limit (minutes)"), null=True, blank=True)
    bank = models.ForeignKey(
        QuestionBank, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("question bank")
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    seconds_per_question = models.PositiveSmallIntegerField(_("seconds per question"), default=30)
    # DESIGN.md: no public personal rankings by default; an administrator turns them on per competition.
    person_leaderboard = models.BooleanField(_("show a leaderboard of persons"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ChallengeRun(models.Model):
    """One run of challenge mode: questions one at a time, each within its seconds, until the first mistake."""

    class Status(models.TextChoices):
        PLAYING = "playing", _("Playing")
        ENDED = "ended", _("Ended")

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="runs")
    member = models.ForeignKey("orgs.Member", on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PLAYING)
    streak = models.PositiveIntegerField(default=0)
    asked = models.JSONField(default=list, blank=True)  # question ids already served in this run
    current_version = models.ForeignKey(
        QuestionVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    current_options = models.JSONField(default=list, blank=True)
    served_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, blank=True)  # "wrong" | "timeout" | "exhausted"

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "member"], condition=models.Q(status="playing"), name="one_playing_run"
            ),
        ]
        indexes = [models.Index(fields=["competition", "member", "streak"], name="challenge_best_idx")]

    def __str__(self) -> str:
        return f"{self.competition_id}/{self.member_id} {self.streak}"
