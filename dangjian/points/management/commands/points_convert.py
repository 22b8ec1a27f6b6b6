"""`manage.py points_convert` — convert every fact past the high-water mark into points, with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from dangjian.points.models import PointsCursor
from dangjian.points.services import BATCH, CURSOR, points_convert


class Command(BaseCommand):
    help = "Convert new facts into points (idempotent; the job does the same every five minutes)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=BATCH, help="fact ids per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        start = PointsCursor.objects.filter(name=CURSOR).values_list("last_fact_id", flat=True).first() or 0
        bar = tqdm(unit="facts", disable=options["verbosity"] == 0)

        def progress(upto: int, waiting: int) -> None:
            bar.total = upto - start + waiting
            bar.n = upto - start
            bar.refresh()

        written = points_convert(batch=options["batch"], progress=progress)
        bar.close()
        self.stdout.write(f"{written} points entries written")
