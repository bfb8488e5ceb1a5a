"""Whether a lane sender is running and watching for new deliveries (Redis only).

A following sender announces itself every 100 ms (a key that lives 500 ms) while it claims; it
looks for deliveries newer than its last claim every 20 ms, so the record-time queue task of a
new delivery is redundant then and is not queued (at 100 events/s those tasks outnumbered what
two workers could take off the queue between their senders). When a sender stops claiming it
withdraws first and then looks once more: a delivery committed while the key still stood is
seen by that last look and queued by the sender itself. Without Redis nothing is skipped.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

LIFETIME_MS = 500


def _key() -> str:
    """Per cluster, like django-q2's own queue keys (several hubs may share one Redis)."""
    return f"hub:{settings.Q_CLUSTER.get('name', 'hub')}:delivery:sender"


def announce() -> None:
    _try(lambda r: r.set(_key(), 1, px=LIFETIME_MS))


def withdraw() -> None:
    _try(lambda r: r.delete(_key()))


def active() -> bool:
    """A sender is running (False without Redis, or when Redis does not answer)."""
    return bool(_try(lambda r: r.exists(_key())))


def _try(op: Any) -> Any:
    if not settings.REDIS_URL:
        return None
    try:
        return op(_redis())
    except Exception as exc:  # noqa: BLE001 - Redis down: behave as if no sender ran
        logger.debug("sender presence unavailable: %s", exc)
        return None


@cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)
