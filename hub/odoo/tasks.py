"""django-q2 entry points for the Odoo connector: they carry ids and call one service."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.odoo import queue, services
from hub.odoo.poller import PollResult

# A poll sets the next one at its *end* + interval, a little after the dispatcher's next tick
# (one minute after this one, give or take a second): without slack a 60 s interval would be
# polled every other minute.
DISPATCH_SLACK = timedelta(seconds=10)


def dispatch_polls(*, now: datetime | None = None) -> int:
    """Every minute: enqueue one poll per active connection whose poll is due."""
    claimed = services.claim_due_connections(now=now, slack=DISPATCH_SLACK)
    for connection_id in claimed:
        queue.poll_connection(connection_id)
    return len(claimed)


def poll_connection(connection_id: int) -> str:
    return _summary(services.poll_connection(connection_id=connection_id))


def poll_hooks(hook_ids: list[int]) -> str:
    return _summary(services.poll_hooks(hook_ids=hook_ids))


def backfill_hooks(hook_ids: list[int]) -> str:
    return _summary(services.poll_hooks(hook_ids=hook_ids, backfill=True))


def _summary(results: list[PollResult]) -> str:
    """The task's result text: each hook polled and what its poll did."""
    return "; ".join(f"hook {r.hook_id}: {r.summary()}" for r in results)
