"""The question bank (题库): banks owned by an org and shared down the tree, categories, questions and their versions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")  # 单选题
    MULTIPLE = "multiple", _("Multiple choice")  # 多选题
    JUDGE = "judge", _("True or false")  # 判断题
    BLANK = "blank", _("Fill in the blank")  # 填空题


class QuestionBank(models.Model):
    """A bank belongs to an org; every org below it may draw papers from it (shared down the tree)."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"))
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Counts changes to the bank's questions (Question.save and delete bump it): what a random paper may draw
    # from is cached per paper and revision (exams.papers.draw), so that a burst of starts does not read the pools.
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["org_path", "name"]
        verbose_name = _("question bank")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A node of a bank's category tree; ``path`` is the materialised chain of ids ("/3/7/") for subtree matches."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="categories")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(_("name"), max_length=64)
    path = models.CharField(max_length=255, db_index=True, editable=False)
    full_name = models.CharField(max_length=255, editable=False)  # "党章/总纲", as the import file writes it

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(fields=["bank", "full_name"], name="exams_category_unique_name")]

    def __str__(self) -> str:
        return self.full_name


class KnowledgePoint(models.Model):
    """A point of knowledge (知识点) a question tests; mastery is reported per point."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="knowledge_points")
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="exams_kp_unique_name")]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """The identity of a question across its versions. ``type``, ``difficulty`` and ``category_path`` mirror the
    current version so that paper rules select with one indexed query."""

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="questions")
    category_path = models.CharField(max_length=255, blank=True, editable=False)
    type = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)
    current_version = models.ForeignKey(
        "QuestionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["bank", "is_active", "type", "difficulty"], name="question_rule_idx")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._bump_bank()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        out = super().delete(*args, **kwargs)
        self._bump_bank()
        return out

    def _bump_bank(self) -> None:
        QuestionBank.objects.filter(pk=self.bank_id).update(revision=models.F("revision") + 1)


class QuestionVersion(models.Model):
    """One immutable wording of a question once anyone has been given it: editing a used question makes a new
    version, so that attempts can be reviewed exactly as they were and statistics stay per version.

    ``options`` is ``[{"id": "k3f9a2c1", "text": "..."}]`` (ids stable across versions); ``answer`` is an option id
    (single), a list of option ids (multiple), a bool (judge) or a list of blanks, each a list of accepted variants.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(default=1)
    type = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    stem = models.TextField(_("stem"))
    options = models.JSONField(default=list, blank=True)
    answer = models.JSONField()
    explanation = models.TextField(_("explanation"), blank=True)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)
    knowledge_points = models.ManyToManyField(KnowledgePoint, blank=True, related_name="versions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="exams_version_unique_number"),
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1, difficulty__lte=5), name="exams_version_difficulty_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.question_id} v{self.number}"
