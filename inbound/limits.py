"""Per-source fixed one-minute windows in the database: the rate limit and the cap on stored
rejected requests. One atomic upsert per hit, so every web process shares the same count."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from inbound.models import InboundCounter

WINDOW = 60  # seconds
RATE = "rate"
UNACCEPTED = "unaccepted"  # rejected + duplicate rows stored


@dataclass(frozen=True)
class Hit:
    count: int
    retry_after: int  # seconds until the window ends (>= 1)


def window_start(now: float) -> int:
    return int(now) // WINDOW * WINDOW


def hit(*, source_id: int, kind: str, now: float) -> Hit:
    """Count one event in the current window and return the new count."""
    start = window_start(now)
    q = connection.ops.quote_name
    table = q(InboundCounter._meta.db_table)
    # INSERT .. ON CONFLICT DO UPDATE .. RETURNING: PostgreSQL and SQLite >= 3.35 alike.
    # Only quoted identifiers are interpolated; every value is a parameter.
    columns = f"{q('source_id')}, {q('kind')}, {q('window_start')}"
    sql = (
        f"INSERT INTO {table} ({columns}, {q('count')}) "  # noqa: S608
        f"VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT ({columns}) "
        f"DO UPDATE SET {q('count')} = {table}.{q('count')} + 1 "
        f"RETURNING {q('count')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_id, kind, start])
        (count,) = cursor.fetchone()
    return Hit(count=count, retry_after=max(1, start + WINDOW - int(now)))


def prune(*, before: float) -> int:
    deleted, _ = InboundCounter.objects.filter(window_start__lt=window_start(before)).delete()
    return deleted
