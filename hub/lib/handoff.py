"""Handing ids to the broker off the request path: one daemon thread per process and purpose.

A request that committed its row passes the id to a ``Handoff``; the thread calls ``send(ids)``
with every id that arrived meanwhile (one broker call for many). A process that stops with ids
still in hand loses nothing as long as the caller's sweep finds the committed rows again (the
inbound sweep, the planning sweep); a polite stop gives the thread 2 s to hand them over.
Used by inbound intake (``inbound.handoff``) and emit (``hub.unplanned``).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from django.db import transaction
from django_q.conf import Conf

logger = logging.getLogger(__name__)


def handing_off() -> bool:
    """Whether committed ids go through a hand-off thread: with a broker outside the database.
    The ORM broker's enqueue is a database write, kept on the request thread (one connection
    per thread); the tests' sync mode runs the task inline at commit."""
    return not (Conf.SYNC or Conf.ORM)


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
        # django-q2 logs "Enqueued [...]" at INFO for every task: one line per batch of ids,
        # which cost a third of an enqueue (bench/profile_intake.py); the rows say as much.
        logging.getLogger("django-q").addFilter(_QuietEnqueue(name))
        atexit.register(self._drain_at_exit)

    def submit(self, item: int) -> None:
        self._ensure_thread()
        with self._done:
            self._outstanding += 1
        self._pending.put(item)

    def submit_on_commit(self, item: int) -> None:
        """Submit once the current transaction commits (at once outside one); never raises
        into the committing caller (robust on-commit, a named callable for its log)."""

        def hand_off_committed() -> None:
            self.submit(item)

        transaction.on_commit(hand_off_committed, robust=True)

    def flush(self, timeout: float) -> bool:
        """Wait until every submitted id was sent; False when `timeout` passed first."""
        with self._done:
            return self._done.wait_for(lambda: self._outstanding == 0, timeout=timeout)

    def started_here(self) -> bool:
        """Whether this process started the thread (a forked child has not, yet)."""
        return self._thread is not None and self._pid == os.getpid()

    def _drain_at_exit(self) -> None:
        # A polite stop (gunicorn's SIGTERM) hands over what is left, briefly; the sweeps cover
        # the rest.
        if self.started_here():
            self.flush(timeout=2)

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
    """Drops django-q2's "Enqueued [...] <task id>" INFO line for one hand-off thread's tasks."""

    def __init__(self, thread_name: str) -> None:
        super().__init__()
        self.thread_name = thread_name

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.INFO
            and threading.current_thread().name == self.thread_name
            and str(record.msg).startswith("Enqueued")
        )
