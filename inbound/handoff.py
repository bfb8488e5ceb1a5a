"""Queueing accepted requests off the request path: one thread per process hands ids to the broker.

When an accepted request is answered, its row is committed (state ``received``, ``enqueued_at``
set); passing its id to django-q2 is the only work left, and the sender need not wait for it.
A process that stops with ids still in hand loses nothing: the inbound sweep queues ``received``
rows whose task never ran again (``inbound.processing``). Used only with a broker outside the
database (Redis); with the ORM broker the enqueue is a database write, kept on the request
thread so the web role's connection count stays workers x threads.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from inbound.queue import enqueue_now

logger = logging.getLogger(__name__)


class Handoff:
    """A daemon thread calling ``send(ids)`` with the ids submitted meanwhile (at most
    ``batch`` at a time, in order): one broker call for every id that arrived during the last,
    or within ``linger`` seconds of the first one it picks up."""

    def __init__(
        self, send: Callable[[list[int]], None], *, name: str, batch: int, linger: float = 0.0
    ) -> None:
        self.send = send
        self.name = name
        self.batch = batch
        self.linger = linger
        self._pending: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._done = threading.Condition()
        self._outstanding = 0  # submitted, not yet sent

    def submit(self, item: int) -> None:
        self._ensure_thread()
        with self._done:
            self._outstanding += 1
        self._pending.put(item)

    def flush(self, timeout: float) -> bool:
        """Wait until every submitted id was sent; False when `timeout` passed first."""
        with self._done:
            return self._done.wait_for(lambda: self._outstanding == 0, timeout=timeout)

    def started_here(self) -> bool:
        """Whether this process started the thread (a forked child has not, yet)."""
        return self._thread is not None and self._pid == os.getpid()

    def _ensure_thread(self) -> None:
        # A forked child (gunicorn worker) inherits the object but not the thread: start its own.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pending = queue.SimpleQueue()
            self._outstanding = 0
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._pid = os.getpid()
            self._thread.start()

    def _run(self) -> None:
        pending = self._pending
        while True:
            ids = [pending.get()]
            if self.linger > 0:
                # One sleep, not a wake-up per id: the ids arriving meanwhile share the call.
                time.sleep(self.linger)
            while len(ids) < self.batch:
                try:
                    ids.append(pending.get_nowait())
                except queue.Empty:
                    break
            try:
                self.send(ids)
            except Exception:  # keep the thread alive: the sweep re-queues what was not sent
                logger.exception("%s: could not hand over %s", self.name, ids)
            with self._done:
                self._outstanding -= len(ids)
                self._done.notify_all()


class _QuietEnqueue(logging.Filter):
    """Drops django-q2's "Enqueued [...] <task id>" INFO line for the hand-off thread's tasks:
    formatting and writing one log line per accepted webhook was a third of the cost of queueing
    it (bench/profile_intake.py). The row, and the task in the admin, say as much."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.INFO
            and threading.current_thread().name == THREAD_NAME
            and str(record.msg).startswith("Enqueued")
        )


THREAD_NAME = "inbound-handoff"
# Up to 20 requests per task: a task of cheap handlers costs the worker little more than one,
# and a slow handler (an Odoo upsert) holds up at most 19 others. A django-q2 enqueue costs
# about as much CPU for 20 ids as for one (pickle, sign, Redis push: ~0.5 ms), so the thread
# waits LINGER after the first id for more: under a steady stream that is a tenth of the cost
# per request, and a request's handler starts at most LINGER later.
LINGER = 0.05
handoff = Handoff(enqueue_now, name=THREAD_NAME, batch=20, linger=LINGER)
logging.getLogger("django-q").addFilter(_QuietEnqueue())


@atexit.register
def _drain_at_exit() -> None:
    # A polite stop (gunicorn's SIGTERM) hands over what is left, briefly; the sweep covers
    # the rest.
    if handoff.started_here():
        handoff.flush(timeout=2)
