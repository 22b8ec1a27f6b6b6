"""A member picker that stays usable at any scope: a list for a branch, an employee number for a whole group."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Member

LIST_LIMIT = 300  # above this many people a drop-down is no help (and slow to render)


class MemberRefField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Accepts a member's id (from the list) or employee number (typed), always within ``queryset``."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.employee_no}" if obj.employee_no else str(obj.name)

    def to_python(self, value: Any) -> Member | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if "\x00" in text or len(text) > 32:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        qs: QuerySet[Member] = self.queryset  # type: ignore[assignment]
        match = Q(employee_no__iexact=text) | (Q(pk=int(text)) if text.isdigit() else Q(pk__in=[]))
        found = list(qs.filter(match)[:2])
        if len(found) != 1:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found[0]


def member_ref_field(queryset: QuerySet[Member], *, label: Any, required: bool = True) -> MemberRefField:
    """A drop-down for a small scope; a text input for an employee number when the scope is large."""
    field = MemberRefField(queryset=queryset, label=label, required=required)
    if queryset.count() > LIST_LIMIT:
        field.widget = forms.TextInput(attrs={"maxlength": 32, "autocomplete": "off"})
        field.help_text = _("Type the employee number.")
    return field
