"""Log in by username, employee number or phone, with lockout (see accounts.services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class MultiIdentifierBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        from .services import AuthError, user_authenticate

        if not username or not password:
            return None
        try:
            return user_authenticate(identifier=username, password=password)
        except AuthError:
            return None
