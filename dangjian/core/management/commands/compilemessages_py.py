"""Compile .po catalogues to .mo with Babel (no GNU gettext needed on the machine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po under LOCALE_PATHS and the apps' locale/ folders to .mo when the .po is newer."

    def handle(self, *args: Any, **options: Any) -> None:
        bases = [Path(p) for p in settings.LOCALE_PATHS]
        bases += [Path(app.path) / "locale" for app in apps.get_app_configs() if app.name.startswith("dangjian.")]
        for base in bases:
            for po in base.glob("*/LC_MESSAGES/*.po"):
                mo = po.with_suffix(".mo")
                if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                    continue
                with po.open("rb") as fh:
                    catalog = read_po(fh, locale=po.parent.parent.name)
                with mo.open("wb") as fh:
                    write_mo(fh, catalog, use_fuzzy=False)
                if options["verbosity"] > 1:
                    self.stdout.write(f"compiled {mo}")
