"""Per-source fixed one-minute windows: the rate limit and the cap on stored rejected requests.

With ``REDIS_URL`` set the count lives in Redis (one INCR + EXPIRE round trip per hit), so a
busy rate-limited source does not serialise its requests on one counter row held locked until
each commit is flushed; without it (or while Redis fails) it is one atomic upsert of a database
row. Either way every web process and node shares the same count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
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


logger = logging.getLogger(__name__)


def hit(*, source_id: int, kind: str, now: float, scope: str = "") -> Hit:
    """Count one event in the current window and return the new count.

    ``scope`` (the source's slug) keeps Redis keys apart when a database is recreated (tests)
    while Redis keeps the old keys for their window."""
    start = window_start(now)
    count = _redis_count(f"{source_id}:{scope}", kind, start) if settings.REDIS_URL else None
    if count is None:
        count = _database_count(source_id, kind, start)
    return Hit(count=count, retry_after=max(1, start + WINDOW - int(now)))


def _redis_count(name: str, kind: str, start: int) -> int | None:
    """The window's new count in Redis; None when Redis fails (the database counts instead)."""
    import redis

    key = f"hub:inbound:{name}:{kind}:{start}"
    try:
        pipe = _redis(settings.REDIS_URL).pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW * 2)
        return int(pipe.execute()[0])
    except redis.RedisError as exc:
        logger.warning("inbound counter in the database (Redis unavailable: %s)", exc)
        return None


@cache
def _redis(url: str) -> Any:
    import redis

    # Short timeouts: a hung Redis must not hold up the inbound request for long.
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _database_count(source_id: int, kind: str, start: int) -> int:
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
    return int(count)


def prune(*, before: float) -> int:
    deleted, _ = InboundCounter.objects.filter(window_start__lt=window_start(before)).delete()
    return deleted
