"""Queue tasks on django-q2 reusing one broker per thread; a broker outage is logged, never raised.

Every task the hub queues goes through this module (ruff bans ``django_q.tasks.async_task``
elsewhere). Queueing never raises: the work is already a row in our tables, and the sweeps
(delivery lost-task sweep, inbound sweep, poll dispatcher) queue it again once the broker is back.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)
_local = threading.local()


def broker() -> Any:
    """This thread's broker. django-q2's ``async_task`` builds a new one (with a new Redis
    connection) on every call unless given one; reusing it roughly doubles enqueue throughput."""
    current = getattr(_local, "broker", None)
    if current is None:
        from django_q.brokers import get_broker

        current = _local.broker = get_broker()
    return current


def enqueue(func: str, *args: Any, **options: Any) -> str | None:
    """``async_task(func, *args, **options)`` on this thread's broker; the task id, or None
    when the broker refused it (logged in one line; the caller's sweep queues the work again)."""
    from django_q.conf import Conf
    from django_q.tasks import async_task

    try:
        return async_task(func, *args, broker=broker(), **options)
    except Exception as exc:  # noqa: BLE001 - any broker failure (Redis, ORM, ...) is an outage
        if Conf.SYNC or options.get("sync"):
            # Run inline (tests, the development inline queue): the exception is the task's
            # own, not a broker outage; say so, with its traceback.
            logger.exception("task %s failed while run inline", func)
            return None
        # A broker whose connection broke is rebuilt on the next call rather than reused.
        _local.broker = None
        logger.warning("task %s not queued (broker unavailable: %s)", func, exc)
        return None


def enqueue_on_commit(func: str, *args: Any, **options: Any) -> None:
    """Queue the task once the current transaction commits (at once outside a transaction).

    The callback is a named function (Django's robust on-commit logging reads its
    ``__qualname__``, which a ``functools.partial`` lacks) and cannot raise, so a broker outage
    neither fails the request that committed nor skips the transaction's other callbacks."""

    def enqueue_committed() -> None:
        enqueue(func, *args, **options)

    transaction.on_commit(enqueue_committed, robust=True)
