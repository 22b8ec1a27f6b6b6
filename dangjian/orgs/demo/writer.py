"""Fast bulk inserts for the seeder: rows as tuples, prepared per column, written in one statement stream.

* PostgreSQL: ``COPY … FROM STDIN`` (psycopg 3), several times faster than multi-row INSERTs.
* SQLite: one prepared ``INSERT`` through ``executemany`` (Django's ``bulk_create`` is held to 999 bound
  parameters per statement on SQLite, i.e. ~28 member rows per INSERT).
* anything else, or ``mode="orm"``: ``bulk_create``.

Values pass through the field's own ``get_db_prep_save`` wherever that does real work (the SM4-GCM
encryption of ``EncryptedTextField`` above all), so what lands in the table is exactly what the ORM writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from dangjian.core.fields import EncryptedTextField

Adapter = Callable[[Any], Any] | None


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is dt.UTC:
        return str(value.replace(tzinfo=None))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


class BulkWriter:
    def __init__(self, mode: str | None = None) -> None:
        vendor = connection.vendor
        self.mode = mode or {"postgresql": "copy", "sqlite": "executemany"}.get(vendor, "orm")
        self.vendor = vendor
        self.rows_written: dict[str, int] = {}

    def _adapter(self, field: models.Field) -> Adapter:
        if isinstance(field, EncryptedTextField):
            return lambda v, f=field: f.get_db_prep_save(v, connection)  # type: ignore[misc]
        if self.vendor == "sqlite" and isinstance(field, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(field, models.DecimalField) and self.vendor not in ("postgresql", "sqlite"):
            # (psycopg and Django's sqlite3 adapter both take Decimal as it is)
            return lambda v, f=field: f.get_db_prep_save(v, connection)  # type: ignore[misc]
        return None

    @staticmethod
    def _with_defaults(
        model: type[models.Model], given: list[Any], rows: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """Append the columns the caller did not name, with their Python defaults, as bulk_create would.

        Models grow fields while the seeder stays the same; a raw INSERT/COPY would otherwise leave a new
        NOT NULL column to the database, which knows no Django default.
        """
        names = {f.name for f in given}
        missing = [
            f
            for f in model._meta.concrete_fields
            if f.name not in names and not (f.primary_key and isinstance(f, models.AutoField))
        ]
        if not missing:
            return rows
        given.extend(missing)
        now = timezone.now()
        per_row = [f for f in missing if f.has_default() and callable(f.default)]  # e.g. uuid4: one value per row
        tail = tuple(
            now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            for f in missing
        )
        if not per_row:
            return [row + tail for row in rows]
        slots = [i for i, f in enumerate(missing) if f in per_row]
        out = []
        for row in rows:
            values = list(tail)
            for i in slots:
                values[i] = missing[i].get_default()
            out.append(row + tuple(values))
        return out

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        label = model._meta.label
        self.rows_written[label] = self.rows_written.get(label, 0) + len(rows)
        if self.mode == "orm":
            objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
            model.objects.bulk_create(objs, batch_size=2000)  # type: ignore[attr-defined]
            return
        meta = model._meta
        model_fields = [meta.get_field(name) for name in fields]
        rows = self._with_defaults(model, model_fields, rows)
        adapters = [(i, a) for i, f in enumerate(model_fields) if (a := self._adapter(f)) is not None]  # type: ignore[arg-type]
        if adapters:
            prepared = []
            for row in rows:
                values = list(row)
                for i, adapt in adapters:
                    values[i] = adapt(values[i])
                prepared.append(values)
        else:
            prepared = rows  # type: ignore[assignment]
        qn = connection.ops.quote_name
        table = qn(meta.db_table)
        columns = ", ".join(qn(f.column) for f in model_fields)  # type: ignore[union-attr, arg-type]
        with connection.cursor() as cursor:
            if self.mode == "copy":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in prepared:
                        copy.write_row(values)
            else:
                placeholders = ", ".join(["%s"] * len(model_fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)
