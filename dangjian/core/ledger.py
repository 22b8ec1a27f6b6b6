"""The SM3 hash chain for published results: append, and verify that nothing was changed since."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .audit import _jsonable
from .crypto import sm3_hex
from .models import LedgerEntry

GENESIS = "0" * 64


def _canonical(payload: Any) -> str:
    return json.dumps(_jsonable(payload), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(*, prev_hash: str, kind: str, ref: str, payload: Any, created_at_iso: str) -> str:
    return sm3_hex("\x1f".join([prev_hash, kind, ref, _canonical(payload), created_at_iso]))


def _lock_chain() -> None:
    """Hold the ledger against other appenders until this transaction ends.

    SELECT ... FOR UPDATE on the last row is not enough on PostgreSQL: a second appender waiting on that
    row gets the *same* row back once the first commits (and an empty ledger has no row to lock), so both
    would chain onto one parent. A table lock that still allows readers serialises appends. SQLite runs
    write transactions one at a time already (transaction_mode IMMEDIATE).
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(LedgerEntry._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE"
            )


@transaction.atomic
def ledger_append(*, kind: str, ref: str, payload: dict[str, Any]) -> LedgerEntry:
    """Append a published result to the chain; appends are serialised so two of them never fork it."""
    _lock_chain()
    last = LedgerEntry.objects.order_by("-id").only("hash").first()
    prev = last.hash if last else GENESIS
    created_at = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    payload = json.loads(_canonical(payload))
    return LedgerEntry.objects.create(
        created_at=created_at,
        kind=kind,
        ref=ref,
        payload=payload,
        prev_hash=prev,
        hash=entry_hash(prev_hash=prev, kind=kind, ref=ref, payload=payload, created_at_iso=created_at.isoformat()),
    )


@dataclass
class LedgerProblem:
    entry_id: int
    reason: str


def ledger_verify(batch_size: int = 5000) -> tuple[int, LedgerProblem | None]:
    """Walk the chain in order; return (entries checked, first problem or None)."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        batch = list(LedgerEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return checked, None
        for entry in batch:
            if entry.prev_hash != prev:
                return checked, LedgerProblem(entry.id, "prev_hash does not match the entry before it")
            expected = entry_hash(
                prev_hash=entry.prev_hash,
                kind=entry.kind,
                ref=entry.ref,
                payload=entry.payload,
                created_at_iso=entry.created_at.astimezone(dt.UTC).isoformat(),
            )
            if expected != entry.hash:
                return checked, LedgerProblem(entry.id, "contents changed after it was written (hash mismatch)")
            prev = entry.hash
            checked += 1
            last_id = entry.id
