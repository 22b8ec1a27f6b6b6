"""Forms for member records and orgs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Member, MemberStatus, Org

ID_RE = re.compile(r"^\d{17}[\dXx]$")
PHONE_RE = re.compile(r"^1\d{10}$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_number_valid(value: str) -> bool:
    """A mainland resident ID (GB 11643): 18 characters with a valid check digit."""
    if not ID_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17].upper()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = [
            "name", "gender", "ethnicity", "birth_date", "id_number", "phone", "address", "education", "employee_no",
            "department", "job_title", "hire_date", "application_date", "activist_date", "candidate_date",
            "probationary_date", "full_date",
        ]
        widgets = {f: DateInput() for f in ["birth_date", "hire_date", "application_date", "activist_date", "candidate_date", "probationary_date", "full_date"]}
        widgets.update({"id_number": forms.TextInput(), "phone": forms.TextInput(attrs={"inputmode": "tel"}), "address": forms.TextInput()})

    def clean_id_number(self) -> str:
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        if value and not id_number_valid(value):
            raise forms.ValidationError(_("Not a valid 18-digit ID number."))
        return value

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip().replace(" ", "")
        if value and not PHONE_RE.match(value):
            raise forms.ValidationError(_("Enter an 11-digit mobile number."))
        return value

    def clean_employee_no(self) -> str | None:
        return (self.cleaned_data.get("employee_no") or "").strip() or None

    def clean_birth_date(self) -> dt.date:
        value = self.cleaned_data["birth_date"]
        if value > dt.date.today():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        return value


class MemberCreateForm(MemberForm):
    org = forms.ModelChoiceField(queryset=Org.objects.none(), label=_("Branch"))
    status = forms.ChoiceField(choices=MemberStatus.choices, label=_("Party status"))

    class Meta(MemberForm.Meta):
        fields = ["org", "status", *MemberForm.Meta.fields]

    def __init__(self, *args: Any, orgs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if orgs is not None:
            self.fields["org"].queryset = orgs.exclude(kind=Org.Kind.COMMITTEE).order_by("path")


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(choices=MemberStatus.choices, label=_("New status"))
    effective_on = forms.DateField(label=_("Effective on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class OrgForm(forms.ModelForm):
    class Meta:
        model = Org
        fields = ["name", "short_name", "kind", "unit", "founded_on", "is_cloud", "is_temporary", "ends_on", "term_start", "term_end"]
        widgets = {f: DateInput() for f in ["founded_on", "ends_on", "term_start", "term_end"]}
