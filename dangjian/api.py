"""The JSON API (/api/v1/): one NinjaAPI, one router and OpenAPI tag per app.

Authentication: a browser session (with CSRF on writes) or ``Authorization: Bearer <token>``.
Every 4xx answer is ``{"detail": "...", "errors": [...]}``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from dangjian.core.errors import DomainError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from dangjian.accounts.services import api_token_authenticate

        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """Session auth that also refuses a session whose user still has a forced step to take."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        from dangjian.accounts.services import password_expired

        user = super().authenticate(request, key)
        if user and (user.must_change_password or password_expired(user) or (user.requires_2fa and not user.has_2fa)):
            return None
        return user


class Renderer(JSONRenderer):
    """JSON with Chinese characters as they are, not as \\uXXXX escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Renderer(),
    title="Dangjian API",
    version="1",
    description="Party-building platform API. Authenticate with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`.",
    auth=[BearerToken(), Session()],
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, detail: str, errors: list[Any] | None = None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", [])]
        # ninja puts where the value came from first (body / query / path / form), then the schema's
        # argument name (payload); only those leading parts go — a field may itself be called "body".
        if loc and loc[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        message = str(err.get("msg", ""))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        errors.append({"field": ".".join(loc), "message": message})
    fields = ", ".join(e["field"] for e in errors if e["field"])
    return _error(
        request, 400, _("Invalid input: %(fields)s") % {"fields": fields} if fields else _("Invalid input."), errors
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.errors)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, _("Authentication required: log in or send a valid bearer token."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and str(exc) == "CSRF check Failed":
        return _error(
            request,
            403,
            _("The request has no valid CSRF token: reload the page, or authenticate with a bearer token."),
        )
    return _error(request, exc.status_code, str(exc))


def _register_routers() -> None:
    from dangjian.accounts.api import router as accounts_router
    from dangjian.dues.api import router as dues_router
    from dangjian.exams.api import attempts_router
    from dangjian.exams.api import router as exams_router
    from dangjian.learning.api import router as learning_router
    from dangjian.meetings.api import router as meetings_router
    from dangjian.orgs.api import members_router, orgs_router
    from dangjian.orgs.api_work import development_router, transfers_router

    # Django tries URL patterns in this order: the calls that come in bursts (an exam's autosaves and
    # submissions, study heartbeats) first.
    api.add_router("/attempts", attempts_router)
    api.add_router("/learning", learning_router)
    api.add_router("/auth", accounts_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/members", members_router)
    api.add_router("/transfers", transfers_router)
    api.add_router("/development", development_router)
    api.add_router("/dues", dues_router)
    api.add_router("/meetings", meetings_router)
    api.add_router("/exams", exams_router)


_register_routers()
