"""Bulk inserts without the ORM's per-field SQL compilation: for pages of thousands of rows.

``insert(objs)`` is ``bulk_create`` for plain rows (no conflicts handling, no multi-table
inheritance): each value goes through the field's own ``get_db_prep_save`` (so JSON, UUID and
datetime columns are stored exactly as the ORM stores them), but the statement is built once
per batch instead of compiling SQL for every field of every row, which is where an all-changed
Odoo poll spent most of its database time. Primary keys come back through ``RETURNING`` on
PostgreSQL and SQLite; other backends use ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)
MAX_PARAMS = 900  # per statement: under SQLite's lowest variable limit (999)


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
    per_statement = max(1, MAX_PARAMS // len(fields))
    with conn.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start : start + per_statement]
            params = []
            for obj in chunk:
                for field in fields:
                    # pre_save fills auto_now(_add) fields, as the ORM would.
                    value = field.pre_save(obj, add=True)
                    params.append(field.get_db_prep_save(value, conn))
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
