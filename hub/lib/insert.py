"""One-row INSERTs with their SQL built once, for the hot paths that store one row per request
(the inbound accept path, ``POST /api/emit/``'s event): the ORM's per-call compilation was most
of an accepted request's own time (bench/profile_intake.py).

Values are prepared as the ORM prepares them (``hub.lib.bulk.preparer``: a field's own
``get_db_prep_save``, with plain values of plain columns handed to the backend adapter directly),
None is NULL; fields not given take their model default (prepared once when it is a constant).
The preparers are built once per process. No signals are sent (nothing listens
for IncomingWebhook or EventHistory saves). Errors are Django's (an IntegrityError for a
duplicate key).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateTimeField, Field, ForeignKey, Model
from django.db.models.fields import AutoFieldMixin

from hub.lib.bulk import preparer

_MISSING = object()


@cache
def _statement(model: type[Model], vendor: str) -> tuple[str, tuple[Field, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # RETURNING: PostgreSQL, and SQLite >= 3.35 (inbound.limits relies on it too).
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({columns}) "  # noqa: S608 - quoted names only
        f"VALUES ({marks}) RETURNING {q(model._meta.pk.column)}"
    )
    return sql, fields


def statement(model: type[Model]) -> tuple[str, tuple[Field, ...]]:
    """The one-row INSERT of ``model`` and the fields its parameters follow (inbound.writer
    repeats its VALUES group for a batch)."""
    return _statement(model, connections[DEFAULT_DB_ALIAS].vendor)


_CONSTANT_DEFAULTS = (dict, list)  # callables whose value is the same every time


@cache
def _columns(
    model: type[Model], vendor: str
) -> tuple[tuple[str, Callable[[Any], Any], Callable[[], Any] | None, Any], ...]:
    """Per column, built once: attname, value preparer, and the prepared default (or, for a
    default that differs per call, the callable making it)."""
    db = connections[DEFAULT_DB_ALIAS]
    _, fields = _statement(model, vendor)
    columns: list[tuple[str, Callable[[Any], Any], Callable[[], Any] | None, Any]] = []
    for f in fields:
        prepare = _preparer(f, db)
        if f.has_default() and callable(f.default) and f.default not in _CONSTANT_DEFAULTS:
            columns.append((f.attname, prepare, f.get_default, None))
        else:
            default = f.get_default()
            columns.append(
                (f.attname, prepare, None, None if default is None else prepare(default))
            )
    return tuple(columns)


def _preparer(f: Field, db: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    # hub.lib.bulk.preparer, kept for the process: the backend adapters it calls are stateless.
    # Its datetime preparer remembers the moments of one bulk insert; here every row has new
    # ones, so aware datetimes go to the adapter directly instead (the same call).
    if isinstance(f, ForeignKey) and isinstance(f.target_field, AutoFieldMixin):
        # The ForeignKey's own method ends in its target's: an integer id is stored as it is.
        save = functools.partial(f.get_db_prep_save, connection=db)
        return lambda v: v if type(v) is int else save(v)
    if type(f) is DateTimeField:
        ops, save = db.ops, functools.partial(f.get_db_prep_save, connection=db)
        return lambda v: (
            ops.adapt_datetimefield_value(v)
            if type(v) is datetime and v.tzinfo is not None
            else save(v)
        )
    return preparer(f, db)


def prepared_params(model: type[Model], values: dict[str, Any]) -> list[Any]:
    """The statement's parameters for one row (values by attname; the rest take defaults)."""
    params = []
    given = 0
    for attname, prepare, make_default, default in _columns(
        model, connections[DEFAULT_DB_ALIAS].vendor
    ):
        value = values.get(attname, _MISSING)
        if value is _MISSING:
            if make_default is None:
                params.append(default)
                continue
            value = make_default()
        else:
            given += 1
        # None is NULL for every field (a JSONField's JSON null needs Value(None, JSONField())).
        params.append(None if value is None else prepare(value))
    if given != len(values):
        unknown = set(values) - {f.attname for f in _statement(model, connection.vendor)[1]}
        raise TypeError(f"not fields of {model.__name__}: {', '.join(sorted(unknown))}")
    return params


def insert_row(model: type[Model], values: dict[str, Any]) -> int:
    """Insert one row of ``model`` (values by attname) and return its primary key.
    RETURNING: PostgreSQL and SQLite (>= 3.35); elsewhere the ORM saves the row."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor not in ("postgresql", "sqlite"):
        row = model(**values)
        row.save(force_insert=True)
        return row.pk
    params = prepared_params(model, values)
    sql, _ = _statement(model, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    return pk
