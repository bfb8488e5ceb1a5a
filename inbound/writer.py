"""Storing accepted requests in batches: one thread per web process inserts the rows of every
request waiting at that moment with one statement and one commit.

A request thread hands its row to the writer and waits; the writer takes every row waiting
(at most ``batch``), inserts them with one autocommitted ``INSERT ... VALUES (...), (...)
RETURNING``, and wakes each request with its own id once the statement has committed. So a
request is still answered 202 only after its row is committed, but under load PostgreSQL parses,
plans and commits (flushes its WAL) once for many rows, and the request threads need no database
connection (nor Django's health-check ``SELECT 1``) of their own. There is no waiting for
company: the rows that arrived while the previous statement ran form the next batch.

A duplicate idempotency key fails no statement: ``ON CONFLICT DO NOTHING`` on the partial unique
constraint skips the row, and its request gets None (answered as a duplicate, as before). Any
other integrity or data error (a source deleted meanwhile) fails the whole statement, which
committed nothing: the writer then inserts those rows one by one, so each request gets its own
outcome. A lost connection fails every request of the batch with a DatabaseError (answered 500;
the rows were not acknowledged, the sender retries, a copy that did commit makes the retry a
duplicate). The writer's connection is checked (and closed when too old, CONN_MAX_AGE) before
a batch that follows a quiet second, as Django checks a request thread's at each request.

PostgreSQL only (``services.writing_in_batches``): SQLite takes one writer at a time anyway.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from functools import cache
from typing import Any

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    DataError,
    IntegrityError,
    connections,
)

from hub.lib.insert import prepared_params, statement
from inbound.models import IncomingWebhook

logger = logging.getLogger(__name__)

THREAD_NAME = "inbound-writer"
BATCH = 50  # rows per statement: 650 parameters
WAIT = 30.0  # seconds a request waits for its row at most (gunicorn's worker timeout)
IDLE = 1.0  # seconds without a batch after which the connection is checked before the next


class _Slot:
    __slots__ = ("params", "source_id", "key", "done", "finished", "pk", "error")

    def __init__(self, params: list[Any], source_id: int, key: str | None) -> None:
        self.params = params
        self.source_id = source_id
        self.key = key
        # Held until the writer has an outcome: a bare lock is the cheapest thing to wait on.
        self.done = threading.Lock()
        self.done.acquire()
        self.finished = False
        self.pk: int | None = None
        self.error: BaseException | None = None


@cache
def _batch_sql(rows: int) -> str:
    sql, fields = statement(IncomingWebhook)
    head, rest = sql.split(" VALUES ", 1)
    one_row, _ = rest.split(" RETURNING ", 1)
    db = connections[DEFAULT_DB_ALIAS]
    q = db.ops.quote_name
    return (
        f"{head} VALUES {', '.join([one_row] * rows)} "
        f"ON CONFLICT ({q('source_id')}, {q('idempotency_key')}) "
        f"WHERE {q('idempotency_key')} IS NOT NULL DO NOTHING "
        f"RETURNING {q('id')}, {q('source_id')}, {q('idempotency_key')}"
    )


class Writer:
    """The per-process writer thread; ``insert`` is called from request threads."""

    def __init__(self, *, name: str = THREAD_NAME, batch: int = BATCH) -> None:
        self.name = name
        self.batch = batch
        self._pending: queue.SimpleQueue[_Slot | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.statements = 0  # batches written (for tests and curiosity)

    def insert(self, values: dict[str, Any]) -> int | None:
        """Store one accepted request's row (values by attname); its id once committed, or None
        when its (source, idempotency key) exists. Raises DatabaseError when it was not stored
        (or not known to be)."""
        slot = _Slot(
            prepared_params(IncomingWebhook, values),
            values["source_id"],
            values.get("idempotency_key"),
        )
        self._ensure_thread()
        self._pending.put(slot)
        if not slot.done.acquire(timeout=WAIT):
            raise DatabaseError(f"the inbound writer did not answer within {WAIT:g} s")
        if slot.error is not None:
            raise DatabaseError(f"inbound writer: {slot.error}") from slot.error
        return slot.pk

    def stop(self, timeout: float = 10) -> None:
        """Stop this process's thread (it closes its connection); the next insert starts one."""
        with self._lock:
            thread = self._thread if self._pid == os.getpid() else None
            self._thread = None
        if thread is not None and thread.is_alive():
            self._pending.put(None)
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        # A forked child (gunicorn worker) inherits the object but not the thread: start its own.
        thread = self._thread
        if thread is not None and self._pid == os.getpid() and thread.is_alive():
            return
        with self._lock:
            thread = self._thread
            if thread is not None and self._pid == os.getpid() and thread.is_alive():
                return
            self._pending = queue.SimpleQueue()
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, args=(self._pending,), name=self.name, daemon=True
            )
            self._thread.start()

    def _run(self, pending: queue.SimpleQueue[_Slot | None]) -> None:
        db = connections[DEFAULT_DB_ALIAS]  # this thread's own connection
        last = 0.0
        try:
            while True:
                first = pending.get()
                if first is None:
                    return
                slots = [first]
                while len(slots) < self.batch:
                    try:
                        more = pending.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        pending.put(None)  # stop after this batch
                        break
                    slots.append(more)
                if time.monotonic() - last > IDLE:
                    self._refresh(db)
                self._write(db, slots)
                last = time.monotonic()
        finally:
            db.close()

    @staticmethod
    def _refresh(db: Any) -> None:
        # As at a request boundary: a health check on next use, CONN_MAX_AGE. Never fatal to
        # the thread: a connection that cannot even be closed is replaced on next use anyway.
        try:
            db.close_if_unusable_or_obsolete()
        except Exception:
            logger.warning("inbound writer: could not check its connection", exc_info=True)
            db.connection = None

    def _write(self, db: Any, slots: list[_Slot]) -> None:
        try:
            try:
                self._insert_batch(db, slots)
            except (IntegrityError, DataError):
                # The statement committed nothing: each row on its own, its own outcome.
                for slot in slots:
                    self._insert_one(db, slot)
        except Exception as exc:  # the connection, most likely: fail the batch, keep the thread
            logger.warning("inbound writer: %d requests not stored: %s", len(slots), exc)
            for slot in slots:
                if not slot.finished:
                    slot.error = exc
            self._refresh(db)
        finally:
            for slot in slots:
                slot.done.release()

    def _insert_batch(self, db: Any, slots: list[_Slot]) -> None:
        params = [p for slot in slots for p in slot.params]
        with db.cursor() as cursor:
            cursor.execute(_batch_sql(len(slots)), params)
            rows = cursor.fetchall()
        self.statements += 1
        # RETURNING gives the inserted rows in VALUES order (bulk_create relies on it too);
        # a skipped row (its key exists) has none: match by source and key to be sure.
        it = iter(rows)
        row = next(it, None)
        for slot in slots:
            if row is not None and (row[1], row[2]) == (slot.source_id, slot.key):
                slot.pk = int(row[0])
                row = next(it, None)
            elif slot.key is None:
                raise DatabaseError("inbound writer: RETURNING rows out of order")
            # else: a duplicate key, pk stays None
            slot.finished = True
        if row is not None:
            raise DatabaseError("inbound writer: more rows returned than inserted")

    def _insert_one(self, db: Any, slot: _Slot) -> None:
        sql, _ = statement(IncomingWebhook)
        try:
            with db.cursor() as cursor:
                cursor.execute(sql, slot.params)
                (pk,) = cursor.fetchone()
            slot.pk = int(pk)
        except IntegrityError as exc:
            if slot.key is None:
                slot.error = exc
            # else: most likely a duplicate key (pk None); the caller re-reads the first row
        except DataError as exc:
            slot.error = exc
        slot.finished = True


writer = Writer()
