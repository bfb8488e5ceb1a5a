"""One INSERT for the accept path, its SQL built once: the ORM's per-call compilation was most
of an accepted request's own time (bench/profile_intake.py).

Values go through each field's own ``get_db_prep_save`` (JSON, dates, addresses exactly as the
ORM writes them), except None (NULL) and plain values of plain columns; fields not given take
their model default. No signals are sent (nothing
listens for IncomingWebhook saves). Errors are Django's (an IntegrityError for a duplicate key).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Field, Model

# Field classes (exactly these, not subclasses such as an encrypted text field) that store a
# str, int or bool as it is on every backend: their get_db_prep_save, a tenth of the insert's
# time for the accept path's 18 columns, is skipped for such values (and for None anywhere).
_PLAIN = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.ForeignKey,
)
_AS_IS = (str, int, bool)
_MISSING = object()


@cache
def _plain(model: type[Model]) -> frozenset[str]:
    """Attnames of the columns whose str, int and bool values go to the driver as they are."""
    return frozenset(f.attname for f in model._meta.concrete_fields if type(f) in _PLAIN)


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


def insert_row(model: type[Model], values: dict[str, Any]) -> int:
    """Insert one row of ``model`` (values by attname) and return its primary key."""
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection, looked up once
    sql, fields = _statement(model, db.vendor)
    plain = _plain(model)
    params = []
    given = 0
    for f in fields:
        value = values.get(f.attname, _MISSING)
        if value is _MISSING:
            value = f.get_default()
        else:
            given += 1
        # None is NULL for every field (a JSONField's JSON null needs Value(None, JSONField())).
        if value is not None and (f.attname not in plain or type(value) not in _AS_IS):
            value = f.get_db_prep_save(value, db)
        params.append(value)
    if given != len(values):
        unknown = set(values) - {f.attname for f in fields}
        raise TypeError(f"not fields of {model.__name__}: {', '.join(sorted(unknown))}")
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    return pk
