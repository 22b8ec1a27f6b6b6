"""Session security: idle logout, forced password change and mandatory 2FA enrolment for administrators."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from .models import User
from .services import password_expired

LAST_SEEN = "last_seen"
IDLE_LOGOUT = "idle_logout"
TOUCH_SECONDS = 60
OPEN_PREFIXES = ("/static/", "/media/", "/i18n/", "/api/", "/accounts/login", "/accounts/logout", "/accounts/claim")


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(("/static/", "/api/")):
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - int(last) > settings.IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                # The login page says why. (No messages.info() here: this middleware runs before
                # MessageMiddleware, where adding a message raises MessageFailure, i.e. a 500.)
                request.session[IDLE_LOGOUT] = settings.IDLE_TIMEOUT_MINUTES
                return _redirect(request, f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
            # Saving the session is a database write: record activity at most once a minute.
            if last is None or now - int(last) >= TOUCH_SECONDS:
                request.session[LAST_SEEN] = now
            if not request.path.startswith(OPEN_PREFIXES):
                forced = self._forced_step(request)
                if forced and request.path != forced:
                    return _redirect(request, forced)
        return self.get_response(request)

    @staticmethod
    def _forced_step(request: HttpRequest) -> str | None:
        user: User = request.user  # type: ignore[assignment]  # authenticated: checked by the caller
        if user.must_change_password or password_expired(user):
            return reverse("accounts:password_change")
        if user.requires_2fa and not user.has_2fa:
            return reverse("accounts:totp_setup")
        return None
