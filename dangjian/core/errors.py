"""Domain errors: raised by services, rendered as a 4xx message by views and the API."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the rules refuse. ``errors`` names fields: [{"field": ..., "message": ...}] or import rows."""

    status = 400

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        if status is not None:
            self.status = status


def field_errors_from_django(exc: Any) -> list[dict[str, Any]]:
    """Turn a Django ValidationError (or form.errors) into the API's field list."""
    mapping = getattr(exc, "message_dict", None) if not isinstance(exc, dict) else exc
    if mapping is None:
        return [{"field": "", "message": m} for m in getattr(exc, "messages", [str(exc)])]
    return [{"field": f, "message": str(m)} for f, msgs in mapping.items() for m in msgs]


def form_add_domain_error(form: Any, exc: DomainError) -> None:
    """Show a refused service call on the form: each named field's message beside it, the rest at the top."""
    for err in exc.errors or [{"field": None, "message": exc.message}]:
        field = err.get("field")
        form.add_error(field if field in form.fields else None, err.get("message") or exc.message)
