"""Papers (试卷): a fixed list of questions, or rules that draw questions from a bank for each attempt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .bank import Category, KnowledgePoint, Question, QuestionBank, QuestionType


class Paper(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed questions")  # 固定试卷
        RANDOM = "random", _("Random from rules")  # 随机组卷

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, related_name="papers", verbose_name=_("question bank")
    )
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"))
    org_path = models.CharField(max_length=255, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.RANDOM)
    shuffle_questions = models.BooleanField(_("shuffle questions for each attempt"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options for each attempt"), default=True)
    question_count = models.PositiveIntegerField(default=0, editable=False)
    max_score = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0.00"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("paper")

    def __str__(self) -> str:
        return self.name


class PaperItem(models.Model):
    """A question of a fixed paper, with its points."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["paper", "question"], name="exams_paperitem_unique")]

    def __str__(self) -> str:
        return f"{self.paper_id}:{self.position}"


class PaperRule(models.Model):
    """ "8 single-choice of difficulty 2–3 from category 党章, 2 points each"."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField()
    type = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    count = models.PositiveSmallIntegerField(_("number of questions"))
    difficulty_min = models.PositiveSmallIntegerField(_("lowest difficulty"), default=1)
    difficulty_max = models.PositiveSmallIntegerField(_("highest difficulty"), default=5)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    knowledge_point = models.ForeignKey(
        KnowledgePoint,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("knowledge point"),
    )
    points = models.DecimalField(_("points each"), max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return describe_rule(self)


def describe_rule(rule: Any) -> str:
    """ "8 × Single choice, difficulty 2–3, category 党章, 2 points each" (a PaperRule or a RuleSpec)."""
    from django.utils.translation import gettext as _t

    parts = [_t("%(n)d × %(type)s") % {"n": rule.count, "type": QuestionType(rule.type).label}]
    if (rule.difficulty_min, rule.difficulty_max) != (1, 5):
        parts.append(_t("difficulty %(lo)d–%(hi)d") % {"lo": rule.difficulty_min, "hi": rule.difficulty_max})
    if rule.category is not None:
        parts.append(_t("category %(c)s") % {"c": rule.category.full_name})
    if rule.knowledge_point is not None:
        parts.append(_t("knowledge point %(k)s") % {"k": rule.knowledge_point.name})
    points = rule.points.quantize(Decimal(1)) if rule.points == rule.points.to_integral() else rule.points
    parts.append(_t("%(p)s points each") % {"p": points})
    return ", ".join(parts)
