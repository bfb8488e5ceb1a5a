"""Whether a worker of one kind is running and watching for new work, kept in Redis.

A running worker announces itself (a key that lives ``lifetime_ms``; it renews it more often
than that) and withdraws when it stops; whoever has new work for it asks ``active()`` and, when
nobody runs, queues one "kicked" task and marks it (``claim_kick``, a mark that lives
``kick_lifetime_ms`` in case the task is lost) so that work arriving before that task starts
queues nothing more; the task removes the mark when it starts (``kick_taken``). Used by the lane
senders (``delivery.presence``) and the event planners (``hub.plan_presence``), whose
docstrings say how each closes the race between its last look and a withdrawal.
Without Redis, or when it does not answer: nobody is active, no mark is held (``claim_kick``
gives None) and every caller queues its own task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class Presence:
    def __init__(self, kind: str, *, lifetime_ms: int = 500, kick_lifetime_ms: int = 1000):
        self.kind = kind  # "delivery:sender", "events:planner"
        self.lifetime_ms = lifetime_ms
        self.kick_lifetime_ms = kick_lifetime_ms

    def key(self) -> str:
        """Per cluster, like django-q2's own queue keys (several hubs may share one Redis)."""
        return f"hub:{settings.Q_CLUSTER.get('name', 'hub')}:{self.kind}"

    def enabled(self) -> bool:
        """Whether workers announce themselves (Redis configured)."""
        return bool(settings.REDIS_URL)

    def announce(self) -> None:
        self._try(lambda r: r.set(self.key(), 1, px=self.lifetime_ms))

    def withdraw(self) -> None:
        self._try(lambda r: r.delete(self.key()))

    def active(self) -> bool:
        """One is running (False without Redis, or when Redis does not answer)."""
        return bool(self._try(lambda r: r.exists(self.key())))

    def claim_kick(self) -> bool | None:
        """True: none was queued; the caller now holds the mark and queues one. False: one is
        queued and not started; it takes the caller's work too. None: no Redis (or no
        answer): queue a task, as always."""
        return self._try(
            lambda r: bool(r.set(f"{self.key()}:kicked", 1, nx=True, px=self.kick_lifetime_ms))
        )

    def kick_taken(self) -> None:
        """The kicked task starts (or could not be queued): the next caller queues again."""
        self._try(lambda r: r.delete(f"{self.key()}:kicked"))

    def _try(self, op: Callable[[Any], Any]) -> Any:
        if not settings.REDIS_URL:
            return None
        try:
            return op(_redis(settings.REDIS_URL))
        except Exception as exc:  # noqa: BLE001 - Redis down: behave as if nobody ran
            logger.debug("%s presence unavailable: %s", self.kind, exc)
            return None


@cache
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=1)
