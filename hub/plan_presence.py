"""Whether a planner is running and watching for unplanned events (Redis only).

The emits' hand-off (hub.unplanned) queues a planning task only when no planner runs: a
running one announces itself every 100 ms (a key that lives 500 ms) and looks for unplanned
events every 10 ms, so a steady stream of emits costs a task now and then, not one per few
events (django-q2 takes tens of milliseconds per task; at 100 emits/s those tasks outnumbered
what a worker could take off the queue). A planner that stops withdraws first and then looks
once more: an event committed while the key still stood is planned by that last look.
While none runs, the first hand-off queues a "kicked" task and marks it; hand-offs until that
task starts queue nothing (it removes the mark, then plans every unplanned event). A mark whose
task was lost lives 1 s; the planning sweep plans its events. The pattern of delivery.presence.
Without Redis (or when it does not answer) every hand-off queues its task.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

LIFETIME_MS = 500
KICK_LIFETIME_MS = 1000


def _key() -> str:
    """Per cluster, like django-q2's own queue keys (several hubs may share one Redis)."""
    return f"hub:{settings.Q_CLUSTER.get('name', 'hub')}:events:planner"


def enabled() -> bool:
    """Whether planners announce themselves (Redis configured): else every hand-off queues
    its own task, and a planner has no reason to linger for more."""
    return bool(settings.REDIS_URL)


def announce() -> None:
    _try(lambda r: r.set(_key(), 1, px=LIFETIME_MS))


def withdraw() -> None:
    _try(lambda r: r.delete(_key()))


def active() -> bool:
    """A planner is running (False without Redis, or when Redis does not answer)."""
    return bool(_try(lambda r: r.exists(_key())))


def claim_kick() -> bool | None:
    """True: no planner was queued, the caller holds the mark and queues one. False: one is
    queued and not started; it plans these events too. None: no Redis: queue a task."""
    return _try(lambda r: bool(r.set(f"{_key()}:kicked", 1, nx=True, px=KICK_LIFETIME_MS)))


def kick_taken() -> None:
    """A kicked planner starts (or could not be queued): the next hand-off queues again."""
    _try(lambda r: r.delete(f"{_key()}:kicked"))


def _try(op: Any) -> Any:
    if not settings.REDIS_URL:
        return None
    try:
        return op(_redis())
    except Exception as exc:  # noqa: BLE001 - Redis down: behave as if no planner ran
        logger.debug("planner presence unavailable: %s", exc)
        return None


@cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)
