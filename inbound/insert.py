"""One INSERT for the accept path, its SQL built once: the ORM's per-call compilation was most
of an accepted request's own time (bench/profile_intake.py).

Values go through each field's own ``get_db_prep_save`` (JSON, dates, addresses exactly as the
ORM writes them); fields not given take their model default. No signals are sent (nothing
listens for IncomingWebhook saves). Errors are Django's (an IntegrityError for a duplicate key).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models import Field, Model

# Field classes (exactly these, not subclasses such as an encrypted text field) that store a
# str, int, bool or None as it is on every backend: their get_db_prep_save, a tenth of the
# insert's time for the accept path's 18 columns, is skipped for such values.
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
_AS_IS = (str, int, bool, type(None))


@cache
def _plain(model: type[Model]) -> frozenset[Field]:
    return frozenset(f for f in model._meta.concrete_fields if type(f) in _PLAIN)


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
    sql, fields = _statement(model, connection.vendor)
    unknown = set(values) - {f.attname for f in fields}
    if unknown:
        raise TypeError(f"not fields of {model.__name__}: {', '.join(sorted(unknown))}")
    plain = _plain(model)
    params = []
    for f in fields:
        value = values[f.attname] if f.attname in values else f.get_default()
        if f not in plain or type(value) not in _AS_IS:
            value = f.get_db_prep_save(value, connection)
        params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    return pk
