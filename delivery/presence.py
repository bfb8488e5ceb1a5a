"""Whether a lane sender is running and watching for new deliveries (Redis only).

A following sender announces itself every 100 ms (a key that lives 500 ms) while it claims; it
looks for deliveries newer than its last claim every 20 ms, so the record-time queue task of a
new delivery is redundant then and is not queued (at 100 events/s those tasks outnumbered what
two workers could take off the queue between their senders). When a sender stops claiming it
withdraws first and then looks once more: a delivery committed while the key still stood is
seen by that last look and queued by the sender itself. Without Redis nothing is skipped.

While no sender runs, the first new delivery queues a "kicked" task and marks it (claim_kick);
deliveries recorded before that task starts queue nothing: the task removes the mark first and
then follows every lane (delivery.tasks.deliver), so it sends them as well.
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


# A kicked task: queued by a new delivery while no sender ran. Until it starts, later deliveries
# queue nothing (it follows every lane when it starts, so it takes them too): under a burst
# with the workers not yet running, one task instead of one per event. The mark lives at most
# this long, in case the task is lost (the lost-task sweep sends its deliveries then).
KICK_LIFETIME_MS = 1000


def _kick_key() -> str:
    return f"{_key()}:kicked"


def claim_kick() -> bool | None:
    """Whether the caller queues a kicked task for its new deliveries. True: none was waiting,
    the caller now holds the mark and queues one (kicked=True). False: one is queued and not yet
    started; it will take these deliveries too. None: no Redis (or no answer): queue a plain
    task, as always."""
    return _try(lambda r: bool(r.set(_kick_key(), 1, nx=True, px=KICK_LIFETIME_MS)))


def kick_taken() -> None:
    """A kicked task starts (or could not be queued): the next new delivery queues again."""
    _try(lambda r: r.delete(_kick_key()))


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
