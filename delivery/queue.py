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
    finds them within 20 ms by itself; see delivery.presence). Never raises."""
    ids = sorted(set(log_ids))
    if not ids:
        return

    def kick_senders() -> None:
        if not presence.active():
            enqueue(ids)

    transaction.on_commit(kick_senders, robust=True)
