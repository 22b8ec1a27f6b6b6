"""Forms for member records and orgs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core import crypto

from .models import Member, MemberStatus, Org

ID_RE = re.compile(r"^\d{17}[\dXx]$")
PHONE_RE = re.compile(r"^1\d{10}$")
SENSITIVE_FIELDS = ("id_number", "phone", "address")
ADDRESS_MAX_LENGTH = 200
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
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number",
            "phone",
            "address",
            "education",
            "employee_no",
            "department",
            "job_title",
            "hire_date",
            "application_date",
            "activist_date",
            "candidate_date",
            "probationary_date",
            "full_date",
        ]
        widgets: dict[str, forms.Widget] = {
            f: DateInput()
            for f in [
                "birth_date",
                "hire_date",
                "application_date",
                "activist_date",
                "candidate_date",
                "probationary_date",
                "full_date",
            ]
        }
        widgets.update(
            {
                "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
                "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
                "address": forms.TextInput(attrs={"autocomplete": "off", "maxlength": ADDRESS_MAX_LENGTH}),
            }
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["address"].validators.append(MaxLengthValidator(ADDRESS_MAX_LENGTH))
        if self.instance.pk:
            # Editing: the clear values are never sent to the browser (that would be an unaudited
            # reveal). The inputs start empty; only a newly typed value replaces the stored one.
            for name in SENSITIVE_FIELDS:
                self.initial[name] = ""
                current = getattr(self.instance, name) or ""
                field = self.fields[name]
                if current:
                    field.help_text = _("Leave empty to keep the current value (%(masked)s).") % {
                        "masked": crypto.mask(current, name)
                    }
                else:
                    field.help_text = _("Not recorded yet.")

    def _keep_when_empty(self, name: str, value: str) -> str:
        """On edit an empty sensitive input means "keep": return the stored value, which is then unchanged."""
        if not value and self.instance.pk:
            return getattr(self.instance, name) or ""
        return value

    def clean_id_number(self) -> str:
        value = crypto.normalise(self.cleaned_data.get("id_number") or "")
        if value and not id_number_valid(value):
            raise forms.ValidationError(_("Not a valid 18-digit ID number."))
        return self._keep_when_empty("id_number", value)

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip().replace(" ", "").replace("-", "")
        if value and not PHONE_RE.match(value):
            raise forms.ValidationError(_("Enter an 11-digit mobile number."))
        return self._keep_when_empty("phone", value)

    def clean_address(self) -> str:
        return self._keep_when_empty("address", (self.cleaned_data.get("address") or "").strip())

    def clean_employee_no(self) -> str | None:
        return (self.cleaned_data.get("employee_no") or "").strip() or None

    def clean_birth_date(self) -> dt.date:
        value = self.cleaned_data["birth_date"]
        if value > timezone.localdate():
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
            cast(forms.ModelChoiceField, self.fields["org"]).queryset = orgs.exclude(kind=Org.Kind.COMMITTEE).order_by(
                "path"
            )


class StatusChangeForm(forms.Form):
    """Move a member to a new status. Given the member, it offers only the moves the rules allow from here."""

    to_status = forms.ChoiceField(choices=MemberStatus.choices, label=_("New status"))
    effective_on = forms.DateField(label=_("Effective on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def __init__(self, *args: Any, member: Member | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate
        if member is not None:
            from .services import ALLOWED_TRANSITIONS

            allowed = ALLOWED_TRANSITIONS.get(member.status, set())
            self._to_status.choices = [(v, label) for v, label in MemberStatus.choices if v in allowed]

    @property
    def _to_status(self) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields["to_status"])

    @property
    def has_choices(self) -> bool:
        return bool(self._to_status.choices)


class OrgForm(forms.ModelForm):
    """Edit an org. The kind is not editable here: it decides who may belong and which rules apply."""

    class Meta:
        model = Org
        fields = [
            "name",
            "short_name",
            "unit",
            "founded_on",
            "is_cloud",
            "is_temporary",
            "ends_on",
            "term_start",
            "term_end",
        ]
        widgets = {f: DateInput() for f in ["founded_on", "ends_on", "term_start", "term_end"]}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_temporary") and not data.get("ends_on"):
            self.add_error("ends_on", _("A temporary branch needs an end date."))
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end <= start:
            self.add_error("term_end", _("The term must end after it starts."))
        founded = data.get("founded_on")
        if founded and founded > timezone.localdate():
            self.add_error("founded_on", _("The date cannot be in the future."))
        return data
