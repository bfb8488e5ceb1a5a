"""Per-lane rate limit (requests per second), shared by every worker and node.

With ``REDIS_URL`` set the count lives in Redis (fixed windows, one INCRBY per claim); without
it, in the lane row as a token bucket (the claim holds that row's lock, so it is exact). Both
answer how many of the wanted sends may start now, and how long until more may.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings

from delivery.models import Lane


def take(*, lane: Lane, want: int, now: datetime) -> tuple[int, float]:
    """(sends allowed now, seconds until the next one could be) for `want` sends on `lane`.

    The lane row must be locked by the caller, who saves `tokens`/`tokens_at` (database mode).
    """
    rate = lane.rate_limit
    if not rate or want <= 0:
        return want, 0.0
    if settings.REDIS_URL:
        return _take_redis(lane.rule_id, rate, want, now)
    return _take_bucket(lane, rate, want, now)


def _take_bucket(lane: Lane, rate: float, want: int, now: datetime) -> tuple[int, float]:
    burst = max(1.0, rate)  # at most one second's worth at once
    elapsed = (now - lane.tokens_at).total_seconds() if lane.tokens_at else burst / rate
    tokens = min(burst, lane.tokens + max(0.0, elapsed) * rate)
    granted = min(want, int(tokens))
    lane.tokens, lane.tokens_at = tokens - granted, now
    return granted, max(0.0, (1.0 - lane.tokens) / rate)


def _window(rate: float) -> tuple[int, int]:
    """(window seconds, sends per window): slow rates get a window long enough for one send."""
    seconds = max(1, math.ceil(1.0 / rate))
    return seconds, max(1, round(rate * seconds))


def _take_redis(rule_id: int, rate: float, want: int, now: datetime) -> tuple[int, float]:
    seconds, allowance = _window(rate)
    stamp = now.timestamp()
    window = int(stamp // seconds)
    key = f"hub:lane:{rule_id}:rate:{window}"
    pipe = _redis().pipeline()
    pipe.incrby(key, want)
    pipe.expire(key, seconds + 1)
    used = int(pipe.execute()[0])
    granted = max(0, min(want, allowance - (used - want)))
    if granted < want:
        _redis().decrby(key, want - granted)  # give back what was not taken
    return granted, (window + 1) * seconds - stamp


@cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)
