"""Recording facts: call in the same transaction as the write that caused them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from dangjian.core.sql import insert

from .models import Fact


def _source(source: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    if source is None:
        return "", ""
    if isinstance(source, tuple):
        return source[0], str(source[1])
    return source._meta.label_lower, str(source.pk)


def fact_record(
    *,
    member: Any,
    kind: str,
    quantity: Decimal | int | float = 1,
    org: Any = None,
    occurred_at: dt.datetime | None = None,
    source: models.Model | tuple[str, Any] | None = None,
) -> Fact:
    """One fact: what ``member`` did, counted at ``org`` (default: the member's primary branch)."""
    org_id = org.pk if org is not None else member.org_id
    org_path = org.path if org is not None else member.org_path
    source_type, source_id = _source(source)
    return Fact.objects.create(
        member_id=member.pk,
        org_id=org_id,
        org_path=org_path,
        kind=kind,
        quantity=Decimal(str(quantity)),
        occurred_at=occurred_at or timezone.now(),
        source_type=source_type,
        source_id=source_id,
    )


COLUMNS = ("member_id", "org_id", "org_path", "kind", "quantity", "occurred_at", "source_type", "source_id")
DEFAULTS: dict[str, Any] = {"quantity": Decimal(1), "source_type": "", "source_id": ""}


def fact_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fact rows with every column (quantity 1, no source unless given), ready for ``sql.insert_statements``."""
    full = []
    for row in rows:
        if extra := set(row) - set(COLUMNS):
            raise TypeError(f"unknown fact fields: {sorted(extra)}")
        full.append({c: row[c] if c in row else DEFAULTS[c] for c in COLUMNS})
    return full


def facts_record_bulk(rows: Iterable[dict[str, Any]]) -> int:
    """Many facts in plain INSERTs (core.sql; as many rows per statement as the database takes): dicts with
    member_id, org_id, org_path, kind, occurred_at and optionally quantity (1), source_type and source_id."""
    full = fact_rows(rows)
    insert(Fact, full)
    return len(full)
