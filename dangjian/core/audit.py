"""Writing the audit log: `audit(actor, action, target, before=..., after=...)` from any service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from .models import AuditEvent
from .requestcontext import client_ip, current_request
from .sql import insert


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of a record, JSON-ready, for an audit `before`/`after`."""
    return {f: _jsonable(getattr(instance, f)) for f in fields}


def audit_row(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_path: str = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    actor_name: str = "",
) -> dict[str, Any]:
    """The values of an audit event (for ``sql.insert_statements`` when it is written with other rows)."""
    request = current_request.get()
    real_actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    return {
        "created_at": timezone.now(),
        "actor_id": real_actor.pk if real_actor is not None else None,
        "actor_name": actor_name or (real_actor.get_username() if real_actor else ""),
        "action": action,
        "outcome": outcome,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None and target.pk is not None else "",
        "target_repr": str(target)[:200] if target is not None else "",
        "org_path": org_path or getattr(target, "org_path", "") or "",
        "ip": client_ip(request) if request else None,
        "user_agent": (request.META.get("HTTP_USER_AGENT", "")[:255] if request else ""),
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
    }


def audit(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    org_path: str = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    actor_name: str = "",
) -> AuditEvent:
    """Record an event. ``before``/``after`` keep only the keys whose values differ."""
    values = audit_row(
        actor, action, target, before=before, after=after, org_path=org_path, outcome=outcome, actor_name=actor_name
    )
    # One plain INSERT … RETURNING (core.sql) rather than Model.objects.create(): audit() runs in every write.
    (pk,) = insert(AuditEvent, [values], returning_pk=True)
    return AuditEvent(pk=pk, **values)
