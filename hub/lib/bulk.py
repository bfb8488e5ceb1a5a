"""Bulk inserts without the ORM's per-field SQL compilation: for pages of thousands of rows.

``insert(objs)`` is ``bulk_create`` for plain rows (no conflicts handling, no multi-table
inheritance): each value goes through the field's own ``get_db_prep_save`` (so JSON, UUID and
datetime columns are stored exactly as the ORM stores them), but the statement is built once
per batch instead of compiling SQL for every field of every row, which is where an all-changed
Odoo poll spent most of its database time. The plain values that fill most rows (text, integers,
JSON objects, aware datetimes, UUIDs in Django's own field classes) are adapted the way those
fields adapt them, without their three or four calls per value. Primary keys come back through
``RETURNING`` on PostgreSQL and SQLite; other backends use ``bulk_create``.
"""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)
# Parameters per statement: the backend's own limit (SQLite: 999), and at most this many (a
# page of events is then one round trip on PostgreSQL, whose limit is 65,535).
MAX_PARAMS = 10_000
TEXT = (models.CharField, models.TextField)
INTEGERS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


def rows_per_statement(conn: BaseDatabaseWrapper, columns: int) -> int:
    """How many rows of `columns` values one statement may carry on `conn`."""
    limit = min(conn.features.max_query_params or MAX_PARAMS, MAX_PARAMS)
    return max(1, limit // columns)


def _getter(field: models.Field) -> Callable[[models.Model], Any]:
    """``pre_save(obj, add=True)``: fills auto_now(_add) fields as the ORM would."""
    if type(field).pre_save is models.Field.pre_save:
        return operator.attrgetter(field.attname)
    return functools.partial(field.pre_save, add=True)


def preparer(field: models.Field, conn: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` for `conn`: exact Django field classes answer their common
    values through the same backend adapter their own method ends in; anything else (another
    value type, a custom field class) takes the field's own method. Also the base of the
    one-row inserts (hub/lib/insert.py). Make one per insert: a datetime field's
    keeps the moments it adapted."""
    save = functools.partial(field.get_db_prep_save, connection=conn)
    kind, ops = type(field), conn.ops
    if kind in TEXT:
        return lambda v: v if v is None or type(v) is str else save(v)
    if kind in INTEGERS:
        internal = field.get_internal_type()
        return lambda v: ops.adapt_integerfield_value(v, internal) if type(v) is int else save(v)
    if isinstance(field, models.JSONField) and kind is models.JSONField:
        encoder = field.encoder
        return lambda v: ops.adapt_json_value(v, encoder) if type(v) in (dict, list) else save(v)
    if kind is models.DateTimeField:
        adapted: dict[datetime, Any] = {}  # the rows of one insert repeat the same moments

        def moment(v: Any) -> Any:
            if type(v) is not datetime or v.tzinfo is None:
                return save(v)
            if (out := adapted.get(v)) is None:
                out = adapted[v] = ops.adapt_datetimefield_value(v)
            return out

        return moment
    if kind is models.UUIDField:
        native = conn.features.has_native_uuid_field
        return lambda v: (v if native else v.hex) if type(v) is uuid.UUID else save(v)
    return save


def insert(objs: Sequence[M]) -> list[M]:
    """Insert new rows, set their primary keys, return them (like ``bulk_create``)."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    db = model._default_manager.db  # `objects`, typed for any model
    conn = connections[db]
    pk = model._meta.pk
    plain = conn.vendor in ("postgresql", "sqlite") and conn.features.can_return_columns_from_insert
    if not plain or not getattr(pk, "db_returning", False) or any(o.pk is not None for o in objs):
        return model._default_manager.bulk_create(objs)
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    quote = conn.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = rows_per_statement(conn, len(fields))
    steps = [(_getter(f), preparer(f, conn)) for f in fields]
    with conn.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start : start + per_statement]
            params = [prepare(get(obj)) for obj in chunk for get, prepare in steps]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_sql] * len(chunk))
                + f" RETURNING {quote(pk.column)}",
                params,
            )
            for obj, (value,) in zip(chunk, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
                obj._state.adding, obj._state.db = False, db
    return objs
