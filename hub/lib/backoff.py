"""Retry delays: exponential backoff with jitter and a cap; `Retry-After` honoured within bounds."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def next_delay(
    *,
    attempt: int,
    initial: float,
    multiplier: float,
    cap: float,
    retry_after: float | None = None,
    jitter: float = 0.2,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based) before the next one.

    ``initial * multiplier ** (attempt - 1)``, capped at `cap`, then ±`jitter` (a fraction) so
    that deliveries failing together do not retry together; the result never exceeds `cap`.
    A `retry_after` from the receiver is honoured but clamped into [computed delay, cap].
    """
    try:
        base = min(initial * multiplier ** max(attempt - 1, 0), cap)
    except OverflowError:
        base = cap
    delay = min(base * (1 + jitter * (2 * rand() - 1)), cap)
    if retry_after is not None:
        delay = min(max(delay, retry_after), cap)
    return max(delay, 0.0)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP-date; None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
