"""The long-running poller (``manage.py poll_odoo``): each connection when due, nudges at once.

Every ``TICK`` seconds an idle poller claims the connections whose ``next_poll_at`` is due (a
conditional update: several pollers, scheduled polls and ``poll_odoo`` nodes never take the
same one; each hook's lease keeps one poll per hook). A nudge brings ``next_poll_at`` forward,
so it is seen within a tick. Looking costs a database query, never an Odoo call.
Odoo errors are recorded on the connection with a backoff by the poll itself; anything else
(the database going away, a bug) is logged on one line and retried with a growing pause, so
the loop never dies of it and no cursor moves without its events.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import close_old_connections, connection, connections
from django.utils import timezone

from hub.models import OdooConnection
from hub.odoo import services
from hub.odoo.poller import PollResult

logger = logging.getLogger(__name__)
TICK = 0.2  # seconds between looks for due connections when idle
# An idle poll costs two Odoo calls (the scan and the delete count): an idle connection is
# polled at most this often, so it costs at most one call a second whatever its interval.
IDLE_INTERVAL = timedelta(seconds=2)
MAX_PAUSE = 30.0  # longest pause after an unexpected error


def run(
    *,
    names: Iterable[str] | None = None,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[OdooConnection, list[PollResult]], None] | None = None,
) -> None:
    """Poll until `stop()` (or KeyboardInterrupt, which the command turns SIGTERM into)."""
    names = list(names) if names is not None else None
    failures = 0
    while not stop():
        try:
            if not connection.in_atomic_block:  # (a test's transaction must stay open)
                close_old_connections()  # a connection the database dropped is reopened
            for connection_id in services.claim_due_connections(names=names):
                results = services.poll_connection(connection_id=connection_id)
                slow_down_when_idle(connection_id, results)
                if report is not None:
                    report(OdooConnection.objects.get(pk=connection_id), results)
                if stop():
                    return
            failures = 0
        except Exception as exc:  # noqa: BLE001 - the loop outlives any one failure
            failures += 1
            pause = min(MAX_PAUSE, 2.0**failures)
            line = (str(exc).strip().splitlines() or [""])[0][:300]
            logger.error(
                "odoo poller: %s: %s (retrying in %.0f s)", type(exc).__name__, line, pause
            )
            if not connection.in_atomic_block:
                connections.close_all()
            sleep(pause)
            continue
        sleep(TICK)


def slow_down_when_idle(connection_id: int, results: list[PollResult]) -> None:
    """After a poll that found nothing (no event, no record read, no delete), the next one is
    at least IDLE_INTERVAL away; a change or a nudge brings the pace back."""
    if any(r.events or r.seen or r.deleted or r.baseline for r in results):
        return
    floor = timezone.now() + IDLE_INTERVAL
    OdooConnection.objects.filter(
        pk=connection_id, consecutive_failures=0, next_poll_at__lt=floor
    ).update(next_poll_at=floor)
