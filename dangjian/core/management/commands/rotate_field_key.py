"""Re-encrypt every encrypted field with the current FIELD_ENCRYPTION_KEY and rebuild blind indexes."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from dangjian.core import crypto
from dangjian.core.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Key rotation step 2 of 3 (see docs/security.md): re-encrypt with the current key, in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        for model in apps.get_models():
            fields = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
            if not fields or model._meta.proxy:  # a proxy shares its concrete model's rows
                continue
            index_fields = [f"{f}_index" for f in fields if hasattr(model, f"{f}_index")]
            # The base manager: a default manager that hides rows (soft delete…) must not leave them on the old key.
            qs = model._base_manager.order_by("pk")
            total = qs.count()
            last = 0
            with tqdm(total=total, desc=model._meta.label, disable=options["verbosity"] == 0) as bar:
                while True:
                    try:
                        batch = list(qs.filter(pk__gt=last)[:batch_size])
                    except crypto.DecryptionError as exc:
                        raise CommandError(
                            f"{model._meta.label}: a value after pk {last} cannot be decrypted ({exc}); "
                            "put the key it was written with in FIELD_ENCRYPTION_OLD_KEYS and run again"
                        ) from exc
                    if not batch:
                        break
                    for obj in batch:
                        for f in fields:
                            if f"{f}_index" in index_fields:
                                value = getattr(obj, f)
                                setattr(obj, f"{f}_index", crypto.blind_index(value) if value else "")
                    with transaction.atomic():
                        # bulk_update re-encrypts through the field's get_prep_value with the current key.
                        model._base_manager.bulk_update(batch, fields + index_fields)
                    last = batch[-1].pk
                    bar.update(len(batch))
        self.stdout.write(self.style.SUCCESS("all encrypted fields now use the current key"))
