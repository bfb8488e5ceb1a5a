"""Hand delivery work to django-q2: ids only, in chunks, so one task sends many deliveries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from delivery import presence
from hub.lib import queue

CHUNK = 50  # log ids per task: amortises the queue round trip without starving other workers
# Per-task timeout (django-q2 aborts a task that runs longer). A task's sender claims new work
# for 10-20 s (sender.PUMP_BUDGET) and then only finishes what it holds: one attempt at the
# longest rule timeout (2 x 120 s) still fits, so no task is cut off mid-send.
TASK_TIMEOUT = 300


def _chunks(log_ids: Iterable[int], put: Callable[..., Any]) -> int:
    ids = sorted(set(log_ids))
    for start in range(0, len(ids), CHUNK):
        put(
            "delivery.tasks.deliver",
            ids[start : start + CHUNK],
            group="delivery",
            timeout=TASK_TIMEOUT,
        )
    return (len(ids) + CHUNK - 1) // CHUNK


def enqueue(log_ids: Iterable[int]) -> int:
    """Queue `delivery.tasks.deliver` for the ids now; returns the number of tasks handed over.
    A broker outage is logged, not raised: the lost-task sweep queues pending logs again."""
    return _chunks(log_ids, queue.enqueue)


def enqueue_on_commit(log_ids: Iterable[int]) -> int:
    """The same, once the current transaction commits (nothing goes out for a rollback)."""
    return _chunks(log_ids, queue.enqueue_on_commit)


def kick_on_commit(log_ids: Iterable[int]) -> None:
    """Newly recorded deliveries: queue them once committed, unless a sender is running (it
    finds them within 20 ms by itself) or a kicked task is queued and not yet started (it
    follows every lane when it starts); see delivery.presence. Never raises."""
    ids = sorted(set(log_ids))
    if not ids:
        return

    def kick_senders() -> None:
        if presence.active():
            return
        kicked = presence.claim_kick()
        if kicked is False:
            return  # a kicked task is waiting to start: it takes these too
        rest = ids
        if kicked:
            if _kick(ids[:CHUNK]) is not None:
                rest = ids[CHUNK:]
            else:
                presence.kick_taken()  # not queued: the next delivery tries again
        enqueue(rest)

    transaction.on_commit(kick_senders, robust=True)


def _kick(log_ids: list[int]) -> str | None:
    return queue.enqueue(
        "delivery.tasks.deliver", log_ids, kicked=True, group="delivery", timeout=TASK_TIMEOUT
    )
