"""One INSERT for the accept path, its SQL built once: the ORM's per-call compilation was most
of an accepted request's own time (bench/profile_intake.py).

Values are prepared as the ORM prepares them (``hub.lib.bulk.preparer``: a field's own
``get_db_prep_save``, with plain values of plain columns handed to the backend adapter directly),
None is NULL; fields not given take their model default. No signals are sent (nothing listens
for IncomingWebhook saves). Errors are Django's (an IntegrityError for a duplicate key).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

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


def prepared_params(model: type[Model], values: dict[str, Any]) -> list[Any]:
    """The statement's parameters for one row (values by attname; the rest take defaults)."""
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection, looked up once
    _, fields = _statement(model, db.vendor)
    params = []
    given = 0
    for f in fields:
        value = values.get(f.attname, _MISSING)
        if value is _MISSING:
            value = f.get_default()
        else:
            given += 1
        # None is NULL for every field (a JSONField's JSON null needs Value(None, JSONField())).
        params.append(None if value is None else preparer(f, db)(value))
    if given != len(values):
        unknown = set(values) - {f.attname for f in fields}
        raise TypeError(f"not fields of {model.__name__}: {', '.join(sorted(unknown))}")
    return params


def insert_row(model: type[Model], values: dict[str, Any]) -> int:
    """Insert one row of ``model`` (values by attname) and return its primary key."""
    params = prepared_params(model, values)
    db = connections[DEFAULT_DB_ALIAS]
    sql, _ = _statement(model, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    return pk
