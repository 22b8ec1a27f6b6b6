"""Forms of the exam screens: banks, questions (the same plain fields as the import file), papers, exams, competitions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.models import OrgRole
from dangjian.core.scoping import orgs_visible_to
from dangjian.orgs.models import MemberStatus, Org

from .models import Competition, Exam, Paper, QuestionBank, QuestionType
from .selectors import banks_visible_to, papers_visible_to

DT = {"type": "datetime-local"}
DT_FORMAT = "%Y-%m-%dT%H:%M"


def _managed_orgs(user: Any) -> Any:
    return orgs_visible_to(user, "members.manage").exclude(kind=Org.Kind.GROUP).order_by("path")


class BankForm(forms.Form):
    org = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Org.objects.none(),
        help_text=_("Every organisation below it may use the bank."),
    )
    name = forms.CharField(label=_("Name"), max_length=128)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _managed_orgs(user)  # type: ignore[attr-defined]


class QuestionForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    category = forms.CharField(
        label=_("Category"), required=False, max_length=255, help_text=_("Levels separated by /, e.g. 党章/总纲")
    )
    difficulty = forms.IntegerField(label=_("Difficulty (1–5)"), min_value=1, max_value=5, initial=3)
    stem = forms.CharField(
        label=_("Question"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("Mark each blank of a fill-in question with ____."),
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One option per line, in the order A, B, C…; none for true-or-false and fill-in."),
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=1000,
        help_text=_("Letters (B, or ACD); 对 or 错; for blanks the accepted answers separated by |, blanks by ；"),
    )
    explanation = forms.CharField(label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    knowledge_points = forms.CharField(
        label=_("Knowledge points"), required=False, max_length=500, help_text=_("Separated by 、 or commas")
    )

    def plain(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["options"] = [line for line in (data.get("options") or "").splitlines() if line.strip()]
        return data


class RuleForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    count = forms.IntegerField(label=_("Number"), min_value=1, max_value=300)
    difficulty_min = forms.IntegerField(label=_("Difficulty from"), min_value=1, max_value=5, initial=1)
    difficulty_max = forms.IntegerField(label=_("to"), min_value=1, max_value=5, initial=5)
    category: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False)  # type: ignore[arg-type]
    points = forms.DecimalField(
        label=_("Points each"), min_value=Decimal("0.5"), max_value=Decimal("100"), decimal_places=2
    )

    def __init__(self, *args: Any, bank: QuestionBank, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = bank.categories.all()  # type: ignore[attr-defined]


class PaperForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)
    org = forms.ModelChoiceField(label=_("Organisation"), queryset=Org.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Paper.Kind.choices)
    shuffle_questions = forms.BooleanField(label=_("Shuffle questions for each attempt"), required=False, initial=True)
    shuffle_options = forms.BooleanField(label=_("Shuffle options for each attempt"), required=False, initial=True)
    questions = forms.CharField(
        label=_("Questions of a fixed paper"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: question number and points, e.g. “12 2”."),
    )

    def __init__(self, *args: Any, user: Any, bank: QuestionBank, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _managed_orgs(user).filter(path__startswith=bank.org_path)  # type: ignore[attr-defined]

    def clean_questions(self) -> list[tuple[int, Decimal]]:
        items = []
        for n, line in enumerate((self.cleaned_data.get("questions") or "").splitlines(), start=1):
            parts = line.replace(",", " ").replace("，", " ").split()
            if not parts:
                continue
            try:
                items.append((int(parts[0].lstrip("#")), Decimal(parts[1]) if len(parts) > 1 else Decimal("1")))
            except (ValueError, ArithmeticError):
                raise forms.ValidationError(_("Line %(n)d: write a question number and points.") % {"n": n}) from None
        return items


class ExamForm(forms.ModelForm):
    audience_statuses = forms.MultipleChoiceField(
        label=_("Who may take it"),
        choices=MemberStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=["full", "probationary"],
    )
    audience_roles = forms.MultipleChoiceField(
        label=_("Only holders of these roles (optional)"),
        choices=OrgRole.Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Exam
        fields = [
            "title",
            "org",
            "paper",
            "description",
            "opens_at",
            "closes_at",
            "time_limit_minutes",
            "attempts_allowed",
            "pass_percent",
            "grading_method",
            "review_policy",
            "multiple_partial",
            "on_timeout",
            "audience_statuses",
            "audience_roles",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs=DT, format=DT_FORMAT),
            "closes_at": forms.DateTimeInput(attrs=DT, format=DT_FORMAT),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _managed_orgs(user)  # type: ignore[attr-defined]
        self.fields["paper"].queryset = papers_visible_to(user).order_by("-created_at")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("The exam must close after it opens."))
        return data


class CompetitionForm(forms.ModelForm):
    class Meta:
        model = Competition
        fields = [
            "title",
            "org",
            "kind",
            "description",
            "recurrence",
            "paper",
            "time_limit_minutes",
            "bank",
            "category",
            "seconds_per_question",
            "person_leaderboard",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _managed_orgs(user)  # type: ignore[attr-defined]
        self.fields["paper"].queryset = papers_visible_to(user).order_by("-created_at")  # type: ignore[attr-defined]
        self.fields["bank"].queryset = banks_visible_to(user)  # type: ignore[attr-defined]
        self.fields["category"].queryset = self.fields["category"].queryset.filter(bank__in=banks_visible_to(user))  # type: ignore[attr-defined]
        self.fields["person_leaderboard"].help_text = _(
            "Off by default: members see only branches unless you turn this on."
        )
