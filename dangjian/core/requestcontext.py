"""The request being served, for audit records written deep inside services (IP, user agent)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for the audit log. X-Forwarded-For is honoured only when the request comes from a
    trusted proxy (TRUSTED_PROXIES), read from the right: the first address that is not a trusted proxy is the
    client (the left-most entries are whatever the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = set(getattr(settings, "TRUSTED_PROXIES", ()))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not forwarded or remote not in trusted:
        return remote
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if hop not in trusted:
            return hop
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
