"""Plain statements for hot paths: no model instances, each field's own conversion to the database, and several
writes sent to the database in one round trip.

``Model.objects.create()`` costs several hundred microseconds of Python per row (a model instance, signals, the
query compiler) before the row reaches the database, and each statement is a round trip; at a company-wide exam's
burst of submissions that is more than the writes themselves. These helpers build a statement once per model and
column set and only adapt values. They skip what ``save()`` would do for the caller: ``auto_now``/``auto_now_add``
and field defaults must be given, and no signals are sent (none of the tables written this way has receivers).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import DEFERRED, Field

Statement = tuple[str, list[Any]]
BOUND_PARAMS_MAX = 65_535  # parameters of one statement in PostgreSQL's wire protocol
M = TypeVar("M", bound=models.Model)


def _field(model: type[models.Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _column(field: Field[Any, Any]) -> str:
    return connection.ops.quote_name(field.column or "")


def _pk_column(model: type[models.Model]) -> str:
    pk = model._meta.pk
    assert pk is not None
    return _column(pk)


@functools.lru_cache(maxsize=256)
def _columns(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple[Field[Any, Any], ...]]:
    fields = tuple(_field(model, name) for name in names)
    cols = ", ".join(_column(f) for f in fields)
    return f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({cols}) VALUES ", fields


def insert_statements(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning_pk: bool = False
) -> list[Statement]:
    """INSERTs of ``rows`` (dicts of field name or attname (``org_id``) → value, all with the same keys), as many
    rows per statement as the database's parameter limit allows."""
    if not rows:
        return []
    names = tuple(rows[0])
    head, fields = _columns(model, names)
    pairs = list(zip(names, fields, strict=True))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # PostgreSQL has no limit of its own in Django's features, but parameters bound on the server (hot_cursor)
    # are numbered in 16 bits by the protocol.
    limit = connection.features.max_query_params or BOUND_PARAMS_MAX
    per_batch = max(1, min(1000, limit // len(fields)))
    tail = f" RETURNING {_pk_column(model)}" if returning_pk else ""
    out = []
    for start in range(0, len(rows), per_batch):
        batch = rows[start : start + per_batch]
        params = [f.get_db_prep_save(row[n], connection) for row in batch for n, f in pairs]
        out.append((head + ", ".join([one] * len(batch)) + tail, params))
    return out


def insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning_pk: bool = False) -> list[Any]:
    """Insert ``rows`` (see ``insert_statements``); the new primary keys in order when ``returning_pk``."""
    pks: list[Any] = []
    with hot_cursor() as cursor:  # the same shape again and again (an attempt's 20 questions): prepared
        for text, params in insert_statements(model, rows, returning_pk=returning_pk):
            cursor.execute(text, params)
            if returning_pk:
                pks.extend(r[0] for r in cursor.fetchall())
    return pks


@functools.lru_cache(maxsize=256)
def _update(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple[Field[Any, Any], ...]]:
    fields = tuple(_field(model, name) for name in names)
    sets = ", ".join(f"{_column(f)} = %s" for f in fields)
    return f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {sets} WHERE {_pk_column(model)} = %s", fields


def insert_new(objs: Sequence[models.Model], *, returning_pk: bool = True) -> None:
    """Insert new model instances (of one model, built with the constructor, so field defaults are in place;
    ``auto_now_add`` values must be given) and mark them saved, with their primary keys when ``returning_pk``.
    What ``bulk_create`` does for a hot path, for a fraction of its Python; no signals."""
    if not objs:
        return
    model = type(objs[0])
    auto = model._meta.auto_field
    fields = [f for f in model._meta.concrete_fields if f is not auto]  # the database numbers new rows
    pks = insert(model, [{f.attname: getattr(o, f.attname) for f in fields} for o in objs], returning_pk=returning_pk)
    for i, obj in enumerate(objs):
        if returning_pk:
            obj.pk = pks[i]
        obj._state.adding, obj._state.db = False, connection.alias


def update_statement(model: type[models.Model], pk: Any, values: Mapping[str, Any]) -> Statement:
    """``UPDATE … SET … WHERE pk = %s`` with each field's own conversion."""
    text, fields = _update(model, tuple(values))
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values.values(), strict=True)]
    return text, [*params, pk]


def execute_together(statements: Sequence[Statement | None]) -> None:
    """Run statements that return nothing, in one transaction (the caller's, or one of their own): on PostgreSQL
    in one round trip (psycopg's pipeline mode) through ``hot_cursor``, so that each is prepared once per
    connection and not parsed and planned each time (for an exam submission's five writes that halves what
    PostgreSQL spends on them, and binding parameters on the server costs Python less than quoting them into the
    text); elsewhere one by one."""
    todo = [s for s in statements if s is not None]  # None: a write that turned out to have nothing to do
    if not todo:
        return
    if connection.get_autocommit():
        with transaction.atomic():
            execute_together(todo)
        return
    if connection.vendor == "postgresql" and len(todo) > 1:
        with hot_cursor() as cursor, connection.wrap_database_errors, connection.connection.pipeline():
            for text, params in todo:
                cursor.execute(text, params)
        return
    with connection.cursor() as cursor:
        for text, params in todo:
            cursor.execute(text, params)


@functools.lru_cache(maxsize=256)
def _readers(model: type[models.Model], names: tuple[str, ...]) -> tuple[tuple[Any, list[Any]], ...]:
    out = []
    for name in names:
        col = _field(model, name).get_col(model._meta.db_table)
        out.append((col, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def select_list(
    model: type[models.Model], alias: str, names: tuple[str, ...] | None = None, *, leave: tuple[str, ...] = ()
) -> tuple[str, tuple[str, ...]]:
    """``alias."col", …`` for the named fields (attnames; by default every concrete field but those in ``leave``)
    and the names in that order, for a plain SELECT whose rows ``instance()`` turns into models."""
    if names is not None:
        fields = [_field(model, n) for n in names]
    else:
        fields = [f for f in model._meta.concrete_fields if f.attname not in leave]
    return ", ".join(f"{alias}.{_column(f)}" for f in fields), tuple(f.attname for f in fields)


def instance(model: type[M], names: tuple[str, ...], values: Sequence[Any]) -> M:
    """A model from the values of a plain SELECT of ``names`` (``select_list``), converted as the ORM converts
    them (dates on SQLite, JSON, decimals); fields not selected load on first access, as with ``only()``."""
    by_name = {}
    for name, value, (col, converters) in zip(names, values, _readers(model, names), strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        by_name[name] = value
    fields = model._meta.concrete_fields
    return model.from_db(
        connection.alias, [f.attname for f in fields], [by_name.get(f.attname, DEFERRED) for f in fields]
    )


@contextmanager
def hot_cursor() -> Iterator[Any]:
    """A cursor for statements run many times a second (the token check, an exam submission's read). On
    PostgreSQL it binds parameters on the server, so that psycopg prepares each statement on its fifth run on a
    connection (settings: ``DB_PREPARED_STATEMENTS``) and PostgreSQL stops planning it: for the four-table read
    of a submission that is most of its cost. Elsewhere, and with prepared statements off, the usual cursor."""
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    with connection.wrap_database_errors:
        # Django's own wrapping (query log in tests and DEBUG, execute wrappers, thread checks).
        raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]  # stubs omit psycopg's signature
        cursor = connection._prepare_cursor(raw)  # type: ignore[attr-defined]
    with cursor:
        yield cursor
