"""The SM3 hash chain of published results and `manage.py verify_ledger`."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from dangjian.core.ledger import GENESIS, ledger_append, ledger_verify
from dangjian.core.models import LedgerEntry


@pytest.fixture
def chain(db):
    return [
        ledger_append(
            kind="assessment.publicity",
            ref=f"period-{i}",
            payload={"org": i, "score": Decimal("91.50"), "名单": ["张三", "李四"]},
        )
        for i in range(5)
    ]


def test_it_verifies_an_intact_chain(chain):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "5 entries verified" in out.getvalue()


def test_each_entry_links_to_the_one_before(chain):
    assert chain[0].prev_hash == GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


def test_it_names_the_entry_whose_payload_was_changed(chain):
    LedgerEntry.objects.filter(pk=chain[2].pk).update(payload={"org": 2, "score": "100.00", "名单": ["张三", "李四"]})
    with pytest.raises(CommandError, match=rf"entry #{chain[2].pk}\b"):
        call_command("verify_ledger")


@pytest.mark.parametrize("field,value", [("kind", "dues.monthly_total"), ("ref", "period-99"), ("hash", "f" * 64)])
def test_it_detects_a_change_to_any_column(chain, field, value):
    LedgerEntry.objects.filter(pk=chain[3].pk).update(**{field: value})
    checked, problem = ledger_verify()
    assert problem is not None and problem.entry_id == chain[3].pk
    assert checked == 3


def test_it_detects_a_deleted_middle_entry(chain):
    LedgerEntry.objects.filter(pk=chain[2].pk).delete()
    with pytest.raises(CommandError, match=rf"entry #{chain[3].pk}\b"):
        call_command("verify_ledger")


def test_it_verifies_across_batches(chain):
    checked, problem = ledger_verify(batch_size=2)
    assert (checked, problem) == (5, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    """GIVEN one append whose transaction is still open
    WHEN a second append starts meanwhile
    THEN it waits and chains onto the first one's entry, not onto the entry both saw as last."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL row locking; SQLite runs one write transaction at a time (BEGIN IMMEDIATE)")
    ledger_append(kind="k", ref="0", payload={})
    appended, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                ledger_append(kind="k", ref="1", payload={})
                appended.set()
                release.wait(10)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            appended.wait(10)
            ledger_append(kind="k", ref="2", payload={})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    appended.wait(10)
    time.sleep(0.5)  # let the second append reach the lock
    release.set()
    for t in threads:
        t.join(20)
    assert not errors
    assert LedgerEntry.objects.count() == 3
    call_command("verify_ledger")
