"""Check the SM3 hash chain of published results; name the first entry that was changed or removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.ledger import ledger_verify


class Command(BaseCommand):
    help = "Verify the ledger's hash chain. Exit status 1 and the first broken entry when tampered with."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problem = ledger_verify()
        if problem is not None:
            raise CommandError(
                f"ledger broken at entry #{problem.entry_id}: {problem.reason} ({checked} entries before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"ledger intact: {checked} entries verified"))
