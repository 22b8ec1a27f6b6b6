"""API: obtain a bearer token with username (or employee number or phone) and password."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from dangjian.core.errors import DomainError

from . import services

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    otp: str | None = Field(default=None, description="TOTP code; required for accounts with two-factor authentication")
    name: str = Field(default="api", max_length=64)


class TokenOut(Schema):
    token: str
    expires_at: str | None
    user_id: int
    username: str


@router.post("/token", auth=None, response={200: TokenOut})
def obtain_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    try:
        user = services.user_authenticate(identifier=payload.username, password=payload.password)
    except services.AuthError as exc:
        status = 429 if exc.code == "locked" else 401
        raise DomainError(exc.message, [{"field": "password", "message": exc.message}], status=status) from exc
    if user.requires_2fa and not user.has_2fa:
        raise DomainError(
            _("Set up two-factor authentication in the web app first."),
            [{"field": "otp", "message": _("Two-factor authentication is required.")}],
            status=403,
        )
    if user.has_2fa:
        if not payload.otp:
            raise DomainError(
                _("A valid two-factor code is required."),
                [{"field": "otp", "message": _("Wrong or missing code.")}],
                status=401,
            )
        try:
            services.user_verify_otp(user=user, code=payload.otp)
        except services.AuthError as exc:
            status = 429 if exc.code == "locked" else 401
            raise DomainError(
                _("A valid two-factor code is required."), [{"field": "otp", "message": exc.message}], status=status
            ) from exc
    if user.must_change_password or services.password_expired(user):
        raise DomainError(
            _("Change your password in the web app first."),
            [{"field": "password", "message": _("Password change required.")}],
            status=403,
        )
    issued = services.api_token_issue(user=user, name=payload.name)
    return TokenOut(
        token=issued.plaintext,
        expires_at=issued.token.expires_at.isoformat() if issued.token.expires_at else None,
        user_id=user.pk,
        username=user.username,
    )
