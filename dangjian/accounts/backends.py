"""Log in by username, employee number or phone, with lockout (see accounts.services).

Only for one-factor accounts: ``django.contrib.auth.authenticate()`` (used by the Django admin's own login
form, for instance) cannot ask for a TOTP code, so an account with two-factor authentication is refused
here and must log in through accounts:login.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class MultiIdentifierBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        from .services import AuthError, user_authenticate

        if not username or not password:
            return None
        try:
            user = user_authenticate(identifier=username, password=password)
        except AuthError:
            return None
        if user.has_2fa or user.requires_2fa:
            return None
        return user
