"""Create a month's dues bills for everyone who pays (the scheduled job does this on the 1st)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.dues.periods import month_start, parse_period
from dangjian.dues.services import bills_generate


class Command(BaseCommand):
    help = "Generate dues bills for a month (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", help="YYYY-MM (default: this month)")

    def handle(self, *args: Any, period: str | None = None, **options: Any) -> None:
        p = parse_period(period) if period else month_start(timezone.localdate())
        if p is None:
            raise CommandError("--period must look like 2026-05")
        start = time.monotonic()
        n = bills_generate(period=p)
        self.stdout.write(f"{n} bills created for {p:%Y-%m} in {time.monotonic() - start:.1f}s")
