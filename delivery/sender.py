"""The lane sender: claim deliveries across lanes, send them concurrently, record them in groups.

`pump` is what a delivery task runs. It claims a batch across lanes (`delivery.lanes`), hands
the requests to a process-wide asyncio loop (`hub.lib.http_async`, in a daemon thread), and
while they are in flight records every group of finished attempts in one transaction, renews
the lease of what it still holds (every third of `HUB_DELIVERY_LEASE`) and claims more as
slots free up. All database work stays on the calling thread; the loop thread only does HTTP.

Outcomes are those of docs/delivery.md, plus two that leave the attempt uncounted: a 429 / 503
with Retry-After puts the delivery back in its lane, which waits as asked; a 410 on a lane set
to pause on 410 pauses the lane and holds the delivery.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import queue as stdqueue
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from delivery import lanes, ordering, presence, queue, retries
from delivery.build import OutboundRequest, compose, redact
from delivery.models import Lane, LogStatus, OnGone, WebhookLog, WebhookRetry
from hub.lib import http_async
from hub.lib import queue as queue_lib
from hub.lib.http import HttpResult, Outcome
from hub.models import EventHistory
from rules.models import RulesVersion, WebhookRule

logger = logging.getLogger(__name__)

# Seconds of claiming per task, then the worker takes the next queued task (polls, sweeps,
# inbound). Drawn between 10 and 20 s: two workers' senders rarely stop at the same moment,
# so under a steady stream one is nearly always running and picking up new deliveries.
PUMP_BUDGET = 10.0
PUMP_SPREAD = 10.0
RULES_TTL = 1.0  # seconds a sender reuses the list of lanes with work before looking again
ANNOUNCE_EVERY = 0.1  # seconds between "a sender is running" notes (they live 0.5 s)
LINGER_POLL = 0.02  # seconds between looks for new work while a sender lingers
POLL = 0.2  # seconds between claims while other senders hold a lane's slots
CLOSE_WAIT = 2.0  # seconds to close pooled connections at exit
DUE_EVERY = 1.0  # seconds between a following sender's looks for due retries
DUE_BATCH = 100  # retries it starts per look (the retry sweep takes the rest)
WAITING_GRACE = 1.0  # seconds a sender past its budget waits to see a queued task taken
PUMP_MAX = 50.0  # seconds of claiming at most, extensions included (+ 240 s to finish: < 300)
GROUP_WAIT = 0.02  # seconds to wait for finished attempts before looking at the database again
LOG_FIELDS = [
    "status", "response_status", "response_headers", "response_body", "duration_ms", "error",
    "sent_at", "request_headers", "claimed_at", "claimed_by",
]  # fmt: skip
JSON_FIELDS = {"response_headers", "request_headers"}
PG_TYPES = {
    "status": "text", "response_status": "integer", "response_headers": "jsonb",
    "response_body": "text", "duration_ms": "integer", "error": "text",
    "sent_at": "timestamptz", "request_headers": "jsonb", "claimed_at": "timestamptz",
    "claimed_by": "text",
}  # fmt: skip


@dataclass
class Finished:
    log: WebhookLog
    result: HttpResult
    headers: dict[str, str] | None  # the stored (redacted) request headers; None: not sent


class _Engine:
    """An asyncio loop in a daemon thread with one HTTP client; results come back on queues."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.client = http_async.Client()
        self._tasks: set[asyncio.Task] = set()
        threading.Thread(target=self.loop.run_forever, name="delivery-http", daemon=True).start()
        atexit.register(self.close)

    def close(self) -> None:
        """Close the pooled connections (at exit: no "unclosed session" noise)."""
        if self.pid != os.getpid() or self.loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self.client.close(), self.loop).result(CLOSE_WAIT)
        except Exception:  # exiting anyway; the OS closes the sockets
            logger.debug("delivery HTTP client did not close cleanly", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def submit(
        self, out: stdqueue.Queue, jobs: list[tuple[Finished, OutboundRequest, float, bool]]
    ) -> None:
        """Start these sends on the loop: one wake-up of the loop thread for the whole batch."""
        if jobs:
            asyncio.run_coroutine_threadsafe(self._start(out, jobs), self.loop)

    async def _start(
        self, out: stdqueue.Queue, jobs: list[tuple[Finished, OutboundRequest, float, bool]]
    ) -> None:
        for item, request, timeout, allow_private in jobs:
            task = asyncio.create_task(self._send(out, item, request, timeout, allow_private))
            self._tasks.add(task)  # a strong reference until done (asyncio keeps weak ones)
            task.add_done_callback(self._tasks.discard)

    async def _send(
        self,
        out: stdqueue.Queue,
        item: Finished,
        request: OutboundRequest,
        timeout: float,
        allow_private: bool,
    ) -> None:
        try:
            item.result = await self.client.send(
                method=request.method,
                url=request.url,
                headers=request.headers,
                body=request.body,
                timeout=timeout,
                allow_private=allow_private,
            )
        except Exception as exc:  # never lose a result: an unexpected error is a failed attempt
            logger.exception("delivery %s: unexpected error while sending", item.log.pk)
            item.result = HttpResult(Outcome.RETRY, error=f"unexpected error: {exc}")
        out.put(item)


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def engine() -> _Engine:
    """This process's engine (a forked worker starts its own)."""
    global _engine
    with _engine_lock:
        if _engine is None or _engine.pid != os.getpid():
            _engine = _Engine()
        return _engine


class _Pump:
    def __init__(self, ids: list[int] | None, follow: bool) -> None:
        self.token = uuid.uuid4().hex
        # A following sender in a real worker starts due retries itself and goes on past its
        # budget while no other task waits (not with the sync queue of tests, which drive the
        # retry sweep themselves).
        self.worker = follow and not settings.Q_CLUSTER.get("sync")
        self.stopping = False  # out of budget for good
        self.graced = False  # a task was seen waiting at the last budget's end
        self.next_due = 0.0  # monotonic time of the next look for due retries
        self.scope = ids
        self.follow = follow
        self.out: stdqueue.Queue[Finished] = stdqueue.Queue()
        self.held: dict[int, Finished] = {}
        self.sent = 0
        self.started = self.renewed = time.monotonic()
        self.budget = PUMP_BUDGET + random.random() * PUMP_SPREAD  # noqa: S311 (not security)
        self.rules: set[int] | None = None  # lanes with work, from the last full claim
        self.rules_at = 0.0
        self.finished: list[int] = []  # answered, not yet recorded: no longer in flight
        self.next_claim = 0.0  # monotonic time of the next claim
        self.next_peek = 0.0  # ... of the next look for newer deliveries
        self.next_announce = 0.0  # ... of the next "a sender is running" (delivery.presence)
        self.newest = 0  # the newest log id when this sender last claimed
        self.rule_cache: dict[int, WebhookRule] = {}  # as of rules_version (see _rules)
        self.rules_version: str | None = None

    def run(self) -> int:
        if self.scope is not None and not lanes.pending(timezone.now(), self.scope).exists():
            # Every id is sent or being sent (usually by a lingering sender): one query, done.
            # Under a steady stream most queue tasks end here; they must be cheap to keep up.
            return 0
        idle_since: float | None = None
        while True:
            claimed, wait = self._maybe_claim()
            done = self._collect(GROUP_WAIT if self.held else 0.0)
            if done:
                claimed += self._finish(done)
            self._heartbeat()
            if self.held or claimed or done:
                idle_since = None
                continue
            now = time.monotonic()
            idle_since = idle_since or now
            if self._out_of_time():
                break
            if wait is not None:
                time.sleep(wait)  # a rate-limited lane refills in a moment
                self.next_claim = 0.0
            elif self.lingers() and now - idle_since < settings.HUB_DELIVERY_LINGER:
                # A steady stream: wait for new deliveries here (one indexed look per poll)
                # rather than return and have the next queue task start a sender again.
                time.sleep(LINGER_POLL)
            else:
                break
        if self.scope is not None and not self.follow:
            self._hand_over_leftovers()
        elif self.follow:
            presence.withdraw()  # first; then one more look (see delivery.presence)
            if self._out_of_time() or _newer_pending(self.newest):
                self._continue_later()
        return self.sent

    def _out_of_time(self) -> bool:
        """Past the claiming budget. The budget lets the worker take other queued tasks; a
        following sender whose budget ends while no task waits in the queue goes on (another
        budget, up to PUMP_MAX) instead of stopping and queueing a task for the rest, which
        then waited for a worker behind whatever was queued meanwhile (the steady bench's p99:
        1.7-2.3 s after each sender's end). A task seen waiting gets WAITING_GRACE to be taken
        by another worker first."""
        if self.stopping:
            return True
        elapsed = time.monotonic() - self.started
        if elapsed < self.budget:
            return False
        if self.worker and elapsed < PUMP_MAX:
            if not _tasks_waiting():
                self.budget, self.graced = elapsed + PUMP_BUDGET, False
                return False
            if not self.graced:
                # A task queued a moment ago is usually taken by the other worker (a planner's
                # own next task): look again a little later before giving up the stream.
                self.budget, self.graced = elapsed + WAITING_GRACE, True
                return False
        self.stopping = True
        return True

    def _start_due_retries(self, now: float) -> None:
        """A following sender starts due retries itself, about once a second, instead of
        leaving them to the minute's retry sweep (the sweep still runs: nothing depends on
        this). One batch; the new attempt logs are newer than the last claim, so the next look
        for new work claims them."""
        if now < self.next_due:
            return
        self.next_due = now + DUE_EVERY
        if retries.due_exists(now=timezone.now()):
            retries.claim_due(limit=DUE_BATCH)

    def _maybe_claim(self) -> tuple[int, float | None]:
        """Claim when due: at once after a change, else every POLL; in between (following
        senders) a cheap look every 20 ms for deliveries newer than the last claim, so a sender
        busy with a slow endpoint still picks up new work for other lanes without delay."""
        now = time.monotonic()
        if self._out_of_time():
            return 0, None
        if self.follow and now >= self.next_announce:
            self.next_announce = now + ANNOUNCE_EVERY
            presence.announce()
        if self.worker:
            self._start_due_retries(now)
        if now < self.next_claim and self.follow and now >= self.next_peek:
            self.next_peek = now + LINGER_POLL
            if _newer_pending(self.newest):
                self.next_claim = 0.0
        if now < self.next_claim:
            return 0, None
        claimed, wait = self._claim()
        self.next_claim = now + (POLL if wait is None else min(POLL, wait))
        return claimed, wait

    def _finish(self, done: list[Finished]) -> int:
        """Record a group of answers; after plain successes, refill their slots first (the
        answers are in, so those attempts are no longer in flight; the claim is told which).
        Not after a failure: the breaker must see it before the lane sends more."""
        for item in done:
            self.held.pop(item.log.pk, None)
        claimed = 0
        healthy = all(item.result.outcome is Outcome.SUCCESS for item in done)
        if healthy and not self._out_of_time():
            claimed, _ = self._claim(finished=[item.log.pk for item in done])
            self.next_claim = time.monotonic() + POLL
        else:
            self.next_claim = 0.0  # record first, then claim again at once
        self.sent += record(done, token=self.token)
        return claimed

    def lingers(self) -> bool:
        """Only a sender that sent something waits for more: the queue tasks of deliveries it
        already sent find nothing and must return at once, or they would pile up in the queue
        (one task per event, each idling a second)."""
        return self.follow and self.sent > 0

    def _continue_later(self) -> None:
        """Out of time with work left: queue a task for it (its sender follows with the rest),
        so a long backlog does not wait for the next sweep."""
        left = lanes.pending(timezone.now()).order_by("id").values_list("id", flat=True)
        queue.enqueue(list(left[: queue.CHUNK]))

    def _claim(self, finished: list[int] | None = None) -> tuple[int, float | None]:
        room = settings.HUB_DELIVERY_CONCURRENCY - len(self.held)
        if room <= 0:
            return 0, None
        if self.follow:
            self.newest = _newest_log()  # anything newer is looked for between claims
        self.finished = finished or []
        claim = self._claim_once(room)
        if self.follow and self.scope is not None:
            # Our own ids were claimed now or are someone else's: from here on, help with
            # everything pending (one full look at the lanes, not one per id-scoped round).
            self.scope, self.rules = None, None
            if not claim.ids:
                claim = self._claim_once(room)
        self._start(claim.logs)
        return len(claim.ids), claim.wait

    def _claim_once(self, room: int) -> lanes.Claim:
        """A claim; the lanes with work are looked up again each second or when a hinted
        claim comes back empty (three queries fewer per round while a backlog drains)."""
        fresh = self.rules is None or time.monotonic() - self.rules_at > RULES_TTL
        hint = None if fresh else self.rules
        claim = lanes.claim(
            token=self.token,
            limit=room,
            now=timezone.now(),
            ids=self.scope,
            rules=hint,
            finished=self.finished,
        )
        if hint is not None and not claim.ids:
            return self._claim_once_fresh(room)
        if fresh:
            self.rules, self.rules_at = claim.rules, time.monotonic()
        return claim

    def _claim_once_fresh(self, room: int) -> lanes.Claim:
        claim = lanes.claim(
            token=self.token,
            limit=room,
            now=timezone.now(),
            ids=self.scope,
            finished=self.finished,
        )
        self.rules, self.rules_at = claim.rules, time.monotonic()
        return claim

    def _start(self, logs: list[WebhookLog]) -> None:
        """Send the claimed logs (the claim's own rows: no statement to fetch them)."""
        if not logs:
            return
        if retry_ids := {log.retry_id for log in logs if log.retry_id}:
            entries = WebhookRetry.objects.in_bulk(retry_ids)
            for log in logs:
                if log.retry_id:
                    log.retry = entries.get(log.retry_id)
        shared = self._rules({log.rule_id for log in logs if log.rule_id is not None})
        unsent: list[Finished] = []
        jobs: list[tuple[Finished, OutboundRequest, float, bool]] = []
        allow_private = settings.HUB_ALLOW_PRIVATE_TARGETS  # read here: tests flip it
        for log in logs:
            rule = log.rule = shared.get(log.rule_id) if log.rule_id is not None else None
            if rule is None or not rule.active:
                reason = "the rule was deleted" if rule is None else "the rule is inactive"
                failed = HttpResult(Outcome.FAIL, error=f"not sent: {reason}")
                unsent.append(Finished(log, failed, None))
            elif rule.ordered and ordering.blocked(log):
                WebhookLog.objects.filter(pk=log.pk, claimed_by=self.token).update(
                    error=ordering.PARKED
                )
            else:
                try:
                    request = _compose(log)
                except Exception as exc:  # a rule the request cannot be built for: fail it
                    logger.exception("delivery %s: the request could not be built", log.pk)
                    failed = HttpResult(Outcome.FAIL, error=f"not sent: request not built: {exc}")
                    unsent.append(Finished(log, failed, None))
                    continue
                item = Finished(log, HttpResult(Outcome.RETRY), redact(request.headers, rule=rule))
                self.held[log.pk] = item
                jobs.append((item, request, float(rule.timeout), allow_private))
        engine().submit(self.out, jobs)
        if unsent:
            record(unsent, token=self.token)

    def _rules(self, wanted: set[int]) -> dict[int, WebhookRule]:
        """One instance per rule (not joined per log: that decrypts its credentials for every
        row); a 410 recorded on it is seen by the rest. Kept while the rule tables' version
        token (rules.ruleset: database triggers renew it on every change) stays the same:
        loading rules decrypts their credentials, 2 ms a round (cProfile)."""
        version = RulesVersion.stored()
        if version is None or version != self.rules_version:
            self.rule_cache, self.rules_version = {}, version
        if missing := wanted - self.rule_cache.keys():
            self.rule_cache.update(WebhookRule.objects.in_bulk(missing))
        return {pk: self.rule_cache[pk] for pk in wanted if pk in self.rule_cache}

    def _collect(self, timeout: float) -> list[Finished]:
        done: list[Finished] = []
        try:
            done.append(self.out.get(timeout=timeout) if timeout else self.out.get_nowait())
            while True:
                done.append(self.out.get_nowait())
        except stdqueue.Empty:
            pass
        return done

    def _heartbeat(self) -> None:
        if not self.held or time.monotonic() - self.renewed < settings.HUB_DELIVERY_LEASE / 3:
            return
        self.renewed = time.monotonic()
        now = timezone.now()
        renewed = WebhookLog.objects.filter(
            lanes.pending_by_id(), pk__in=list(self.held), claimed_by=self.token
        ).update(claimed_at=now)
        for item in self.held.values():
            item.log.claimed_at = now  # the result is written with the renewed lease
        if renewed < len(self.held):
            logger.warning("%d claims expired before renewal", len(self.held) - renewed)

    def _hand_over_leftovers(self) -> None:
        """Ids of ours that a lane limit kept back go to the queue: a sender will take them."""
        assert self.scope is not None
        left = list(lanes.pending(timezone.now(), self.scope).values_list("id", flat=True))
        if left:
            queue.enqueue(left)


def _newest_log() -> int:
    # Raw SQL, as the claim's statements: a following sender runs these about 50 times a second.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {WebhookLog._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] or 0


def _newer_pending(newest: int) -> bool:
    table = WebhookLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE id > %s AND status = %s LIMIT 1",  # noqa: S608
            [newest, LogStatus.PENDING.value],
        )
        return cursor.fetchone() is not None


def _compose(log: WebhookLog) -> OutboundRequest:
    """This attempt's request: the stored URL and body, fresh timestamp and signatures."""
    assert log.rule is not None  # the logs of a deleted rule are failed, never composed
    return compose(
        rule=log.rule,
        method=log.http_method,
        url=log.url,
        body=log.request_body.encode(),
        delivery_id=log.delivery_id,
        event_type=f"{log.model}.{log.event_code}",
        timestamp=int(time.time()),
    )


def pump(*, ids: Iterable[int] | None = None, follow: bool = False) -> int:
    """Send what the lanes allow: `ids` only, or (follow) those and then any other pending work.

    Returns how many attempts were sent and recorded.
    """
    return _Pump(None if ids is None else sorted(set(ids)), follow).run()


def _tasks_waiting() -> bool:
    """Whether other tasks wait in the queue (django-q2's broker; True when it cannot say)."""
    try:
        return bool(queue_lib.broker().queue_size())
    except Exception:  # noqa: BLE001 - broker down: stop as budgeted
        return True


# --- recording ------------------------------------------------------------------------------


def record(done: list[Finished], *, token: str, now: datetime | None = None) -> int:
    """Record a group of finished attempts in one transaction; returns how many were sent."""
    now = now or timezone.now()
    with transaction.atomic():
        lane_rows = _lock_lanes(done, now)
        held: set[int] = set()
        for item in done:
            rule_id = item.log.rule_id
            lane = lane_rows.get(rule_id) if rule_id is not None else None
            if lane is not None and _uncounted(item, lane, now):
                held.add(item.log.pk)
            else:
                _fill(item, now)
        ours = _write(done, token)
        kept = [item for item in done if item.log.pk in ours]
        if len(kept) < len(done):
            logger.warning("%d deliveries were re-claimed while sending", len(done) - len(kept))
        _consequences([item for item in kept if item.log.pk not in held], now)
        results: dict[int | None, list[HttpResult]] = defaultdict(list)
        for item in kept:
            if item.log.pk not in held and item.headers is not None:
                results[item.log.rule_id].append(item.result)
        for rule_id, lane in lane_rows.items():
            lanes.settle(lane, results.get(rule_id, []), now)
    return sum(1 for item in kept if item.headers is not None)


def _write(items: list[Finished], token: str) -> set[int]:
    """Write the logs still held by `token`; returns their ids. Not Django's bulk_update: it
    builds a CASE per field and row, which cost more than the HTTP itself (cProfile)."""
    if not items:
        return set()
    table = WebhookLog._meta.db_table
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        return _write_postgres(items, token, table, quote)
    ids = [item.log.pk for item in items]
    marks = ", ".join("%s" for _ in ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id IN ({marks}) AND claimed_by = %s "  # noqa: S608
            "AND status = %s",
            [*ids, token, LogStatus.PENDING.value],
        )
        ours = {row[0] for row in cursor.fetchall()}
    columns = ", ".join(f"{quote(name)} = %s" for name in LOG_FIELDS)
    # Names from the model and LOG_FIELDS (constants), never from input: no injection.
    sql = f"UPDATE {table} SET {columns} WHERE id = %s AND claimed_by = %s"  # noqa: S608
    rows = [[*_values(item.log), item.log.pk, token] for item in items if item.log.pk in ours]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return ours


def _write_postgres(items: list[Finished], token: str, table: str, quote: Any) -> set[int]:
    """One statement for the whole group: UPDATE ... FROM (VALUES ...) RETURNING id.

    Written for a planner without statistics (a new table): the rows are found by primary key
    (``l.id = ANY``), the status test matches no partial index (lanes.pending_by_id says why),
    and the VALUES are materialised once, not parsed again for every row they are joined to
    (that took 5-15 ms of a 50-row write)."""
    from psycopg2.extras import execute_values

    names = ", ".join(quote(name) for name in LOG_FIELDS)
    sets = ", ".join(f"{quote(n)} = v.{quote(n)}::{PG_TYPES[n]}" for n in LOG_FIELDS)
    # Names from the model and LOG_FIELDS (constants); the ids and token are bound by
    # mogrify, and %%s stays the VALUES placeholder execute_values fills.
    template = (
        f"WITH v(id, {names}) AS MATERIALIZED (VALUES %%s) "  # noqa: S608
        f"UPDATE {table} AS l SET {sets} FROM v "
        "WHERE l.id = v.id AND l.id = ANY(%s) AND l.claimed_by = %s "
        "AND l.status || '' = 'pending' RETURNING l.id"
    )
    rows = [(item.log.pk, *_values(item.log, adapt=False)) for item in items]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = raw.mogrify(template, [[item.log.pk for item in items], token]).decode()
        returned = execute_values(raw, sql, rows, fetch=True, page_size=len(rows))
    return {row[0] for row in returned}


def _values(log: WebhookLog, *, adapt: bool = True) -> list[Any]:
    out: list[Any] = []
    for name in LOG_FIELDS:
        value = getattr(log, name)
        if name in JSON_FIELDS:
            value = json.dumps(value)
        elif adapt and isinstance(value, datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        out.append(value)
    return out


def _lock_lanes(done: list[Finished], now: datetime) -> dict[int, Lane]:
    """Lock (in rule order) only the lanes these results change: plain successes on a healthy
    lane leave it alone, so recorders and claimers rarely wait for each other."""
    by_rule: dict[int, list[HttpResult]] = defaultdict(list)
    for item in done:
        if item.log.rule_id and item.headers is not None:
            by_rule[item.log.rule_id].append(item.result)
    if not by_rule:
        return {}
    fields = ("rule_id", "breaker_state", "breaker_failures", "last_attempt_at", "last_success_at")
    ids = sorted(by_rule)
    # Raw SQL (every group reads it; the ORM's compiling cost more than the read itself).
    sql = (
        f"SELECT {', '.join(fields)} FROM {Lane._meta.db_table} "  # noqa: S608
        f"WHERE rule_id IN ({', '.join('%s' for _ in ids)})"
    )
    rows = [{name: getattr(lane, name) for name in fields} for lane in Lane.objects.raw(sql, ids)]
    wanted = [
        row["rule_id"] for row in rows if lanes.needs_update(row, by_rule[row["rule_id"]], now)
    ]
    if not wanted:
        return {}
    locked = Lane.objects.select_for_update().filter(rule_id__in=wanted).order_by("rule_id")
    return {lane.rule_id: lanes.remember(lane) for lane in locked}


def _uncounted(item: Finished, lane: Lane, now: datetime) -> bool:
    """A Retry-After (429/503) or a 410 on a lane that pauses: back to the lane, not counted."""
    log, result = item.log, item.result
    wait = lanes.retry_after_seconds(result)
    if wait is not None:
        lanes.slow_down(lane, wait, now, cap=log.rule.retry_max_interval if log.rule else None)
        note = f"HTTP {result.status}: the endpoint asked to wait {wait} s (Retry-After)"
    elif result.outcome is Outcome.GONE and lane.on_gone == OnGone.PAUSE:
        lane.paused, lane.paused_at = True, now
        lane.paused_reason = (
            f"{log.url} answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC (delivery {log.delivery_id})"
        )
        note = "HTTP 410: the rule was paused (410 pauses this rule); resume to send"
    else:
        return False
    log.response_status, log.response_headers = result.status, result.headers
    log.response_body, log.duration_ms = result.body, result.duration_ms
    log.error = f"{note}; held, not counted as an attempt"
    log.claimed_at, log.claimed_by = None, ""
    if item.headers is not None:
        log.request_headers = item.headers
    return True


def _fill(item: Finished, now: datetime) -> None:
    log, result, sent = item.log, item.result, item.headers is not None
    log.status = LogStatus.SUCCESS if result.outcome is Outcome.SUCCESS else LogStatus.FAILED
    log.response_status, log.response_headers = result.status, result.headers
    log.response_body, log.error = result.body, result.error
    log.duration_ms = result.duration_ms if sent else None
    log.sent_at = now if sent else None
    if sent:
        log.request_headers = item.headers


def _consequences(items: list[Finished], now: datetime) -> None:
    """Retry entries, dead letters, counters, 410, ordered releases. The common case (a first
    attempt that succeeded, unordered rule) is one counter UPDATE per distinct increment."""
    plain: Counter[int] = Counter()
    for item in items:
        log = item.log
        rule = log.rule
        ordered = rule is not None and rule.ordered
        if log.status == LogStatus.SUCCESS and not log.retry_id and not ordered:
            if log.event_id is not None:
                plain[log.event_id] += 1
        else:
            retries.apply_outcome(log, result=item.result, now=now)
    by_delta: dict[int, list[int]] = defaultdict(list)
    for event_id, delta in plain.items():
        by_delta[delta].append(event_id)
    table = EventHistory._meta.db_table
    with connection.cursor() as cursor:
        for delta, event_ids in by_delta.items():
            marks = ", ".join("%s" for _ in event_ids)
            cursor.execute(
                f"UPDATE {table} SET success_count = success_count + %s "  # noqa: S608
                f"WHERE id IN ({marks})",
                [delta, *event_ids],
            )
