"""`manage.py exams_finish_expired` — submit (or discard) attempts whose time ran out, as the job does each minute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dangjian.exams.attempts import attempts_finish_expired


class Command(BaseCommand):
    help = "Finish exam attempts past their deadline."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{attempts_finish_expired()} attempts finished")
