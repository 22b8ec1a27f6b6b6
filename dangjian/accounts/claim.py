"""Self-service claim of an imported account: only when name and ID number match the roster, then a password.
Never a free sign-up. Attempts are limited per client address (shared cache, so every app node agrees)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from dangjian.core import crypto
from dangjian.core.audit import audit
from dangjian.core.models import AuditEvent
from dangjian.core.requestcontext import client_ip

from .models import User

SESSION_KEY = "claim_user"
MAX_ATTEMPTS = 10
WINDOW_SECONDS = 15 * 60


class ClaimForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    id_number = forms.CharField(
        label=gettext_lazy("ID number"),
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        help_text=password_validators_help_text_html(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"], self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


def account_find_for_claim(*, name: str, id_number: str) -> User | None:
    """The roster account whose name and ID number both match (the ID through its blind index)."""
    index = crypto.blind_index(id_number)
    name = name.strip()
    matches = list(
        User.objects.filter(Q(id_number_index=index) | Q(member__id_number_index=index))
        .filter(Q(name=name) | Q(member__name=name), is_active=True)
        .distinct()[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _throttled(request: HttpRequest) -> bool:
    key = f"claim:{client_ip(request) or 'unknown'}"
    attempts = cache.get(key, 0)
    if attempts >= MAX_ATTEMPTS:
        return True
    cache.set(key, attempts + 1, WINDOW_SECONDS)
    return False


@sensitive_post_parameters("id_number")
def claim_view(request: HttpRequest) -> HttpResponse:
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if _throttled(request):
            form.add_error(None, _("Too many attempts. Try again in 15 minutes."))
        elif form.is_valid():
            user = account_find_for_claim(name=form.cleaned_data["name"], id_number=form.cleaned_data["id_number"])
            if user is None:
                audit(
                    None, "auth.claim", outcome=AuditEvent.Outcome.FAILURE, actor_name=form.cleaned_data["name"][:150]
                )
                form.add_error(
                    None,
                    _("No account matches this name and ID number. Ask your Party-affairs worker to check the roster."),
                )
            elif user.has_usable_password():
                form.add_error(
                    None,
                    _(
                        "This account has already been claimed: log in, or ask your Party-affairs worker to reset the password."
                    ),
                )
            else:
                request.session[SESSION_KEY] = user.pk
                return redirect("accounts:claim_password")
    return render(request, "accounts/claim.html", {"form": form}, status=status)


@sensitive_post_parameters()
def claim_password_view(request: HttpRequest) -> HttpResponse:
    user = User.objects.filter(pk=request.session.get(SESSION_KEY) or 0, is_active=True).first()
    if user is None or user.has_usable_password():
        return redirect("accounts:claim")
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user.set_password(form.cleaned_data["password1"])
        user.must_change_password = False
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "must_change_password", "password_changed_at"])
        del request.session[SESSION_KEY]
        audit(user, "auth.claim", user)
        login(request, user, backend="dangjian.accounts.backends.MultiIdentifierBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("core:workbench")
    return render(
        request,
        "accounts/claim_password.html",
        {"form": form, "account": user},
        status=400 if request.method == "POST" else 200,
    )
