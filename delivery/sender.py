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
import logging
import os
import queue as stdqueue
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from delivery import lanes, ordering, queue, retries
from delivery.build import OutboundRequest, compose, redact
from delivery.models import Lane, LogStatus, OnGone, WebhookLog
from hub.lib import http_async
from hub.lib.http import HttpResult, Outcome
from hub.models import EventHistory

logger = logging.getLogger(__name__)

PUMP_BUDGET = 60.0  # seconds a pump keeps claiming; then it finishes what it holds and returns
POLL = 0.2  # seconds between claims while other senders hold a lane's slots
CLOSE_WAIT = 2.0  # seconds to close pooled connections at exit
GROUP_WAIT = 0.02  # seconds to wait for finished attempts before looking at the database again
LOG_FIELDS = [
    "status", "response_status", "response_headers", "response_body", "duration_ms", "error",
    "sent_at", "request_headers", "claimed_at", "claimed_by",
]  # fmt: skip


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
        self,
        out: stdqueue.Queue,
        item: Finished,
        request: OutboundRequest,
        timeout: float,
        allow_private: bool,
    ) -> None:
        coro = self._send(out, item, request, timeout, allow_private)
        asyncio.run_coroutine_threadsafe(coro, self.loop)

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
        self.scope = ids
        self.follow = follow
        self.out: stdqueue.Queue[Finished] = stdqueue.Queue()
        self.held: dict[int, Finished] = {}
        self.sent = 0
        self.started = self.renewed = time.monotonic()

    def run(self) -> int:
        next_claim = 0.0
        while True:
            now = time.monotonic()
            claimed, wait = 0, None
            if now >= next_claim and now - self.started < PUMP_BUDGET:
                claimed, wait = self._claim()
                next_claim = now + (POLL if wait is None else min(POLL, wait))
            done = self._collect(GROUP_WAIT if self.held else 0.0)
            if done:
                self._record(done)
                next_claim = 0.0  # slots freed: claim again at once
            self._heartbeat()
            if not self.held and not claimed and not done:
                if wait is None or time.monotonic() - self.started >= PUMP_BUDGET:
                    break
                time.sleep(wait)  # a rate-limited lane refills in a moment
                next_claim = 0.0
        if self.scope is not None and not self.follow:
            self._hand_over_leftovers()
        return self.sent

    def _claim(self) -> tuple[int, float | None]:
        room = settings.HUB_DELIVERY_CONCURRENCY - len(self.held)
        if room <= 0:
            return 0, None
        claim = lanes.claim(token=self.token, limit=room, now=timezone.now(), ids=self.scope)
        if not claim.ids and self.follow and self.scope is not None:
            self.scope = None  # our own ids are done or taken: help with everything else
            claim = lanes.claim(token=self.token, limit=room, now=timezone.now())
        self._start(claim.ids)
        return len(claim.ids), claim.wait

    def _start(self, ids: list[int]) -> None:
        if not ids:
            return
        logs = list(
            WebhookLog.objects.filter(pk__in=ids, claimed_by=self.token, status=LogStatus.PENDING)
            .select_related("rule", "retry")
            .order_by("id")
        )
        shared = {log.rule_id: log.rule for log in logs}
        unsent: list[Finished] = []
        allow_private = settings.HUB_ALLOW_PRIVATE_TARGETS  # read here: tests flip it
        for log in logs:
            log.rule = shared[log.rule_id]  # one instance per rule: a 410 is seen by the rest
            rule = log.rule
            if rule is None or not rule.active:
                reason = "the rule was deleted" if rule is None else "the rule is inactive"
                failed = HttpResult(Outcome.FAIL, error=f"not sent: {reason}")
                unsent.append(Finished(log, failed, None))
            elif rule.ordered and ordering.blocked(log):
                WebhookLog.objects.filter(pk=log.pk, claimed_by=self.token).update(
                    error=ordering.PARKED
                )
            else:
                request = compose(
                    rule=rule,
                    method=log.http_method,
                    url=log.url,
                    body=log.request_body.encode(),
                    delivery_id=log.delivery_id,
                    event_type=f"{log.model}.{log.event_code}",
                    timestamp=int(time.time()),
                )
                item = Finished(log, HttpResult(Outcome.RETRY), redact(request.headers, rule=rule))
                self.held[log.pk] = item
                engine().submit(self.out, item, request, float(rule.timeout), allow_private)
        if unsent:
            record(unsent, token=self.token)

    def _collect(self, timeout: float) -> list[Finished]:
        done: list[Finished] = []
        try:
            done.append(self.out.get(timeout=timeout) if timeout else self.out.get_nowait())
            while True:
                done.append(self.out.get_nowait())
        except stdqueue.Empty:
            pass
        return done

    def _record(self, done: list[Finished]) -> None:
        for item in done:
            self.held.pop(item.log.pk, None)
        self.sent += record(done, token=self.token)

    def _heartbeat(self) -> None:
        if not self.held or time.monotonic() - self.renewed < settings.HUB_DELIVERY_LEASE / 3:
            return
        self.renewed = time.monotonic()
        renewed = WebhookLog.objects.filter(
            pk__in=list(self.held), claimed_by=self.token, status=LogStatus.PENDING
        ).update(claimed_at=timezone.now())
        if renewed < len(self.held):
            logger.warning("%d claims expired before renewal", len(self.held) - renewed)

    def _hand_over_leftovers(self) -> None:
        """Ids of ours that a lane limit kept back go to the queue: a sender will take them."""
        assert self.scope is not None
        left = list(lanes.pending(timezone.now(), self.scope).values_list("id", flat=True))
        if left:
            queue.enqueue(left)


def pump(*, ids: Iterable[int] | None = None, follow: bool = False) -> int:
    """Send what the lanes allow: `ids` only, or (follow) those and then any other pending work.

    Returns how many attempts were sent and recorded.
    """
    return _Pump(None if ids is None else sorted(set(ids)), follow).run()


# --- recording ------------------------------------------------------------------------------


def record(done: list[Finished], *, token: str, now: datetime | None = None) -> int:
    """Record a group of finished attempts in one transaction; returns how many were sent."""
    now = now or timezone.now()
    with transaction.atomic():
        lane_rows = _lock_lanes({item.log.rule_id for item in done if item.log.rule_id})
        ours = set(
            WebhookLog.objects.filter(
                pk__in=[item.log.pk for item in done], claimed_by=token, status=LogStatus.PENDING
            ).values_list("pk", flat=True)
        )
        results: dict[int, list[HttpResult]] = defaultdict(list)
        kept: list[Finished] = []
        for item in done:
            if item.log.pk not in ours:
                logger.warning("delivery log %s was re-claimed while sending", item.log.pk)
                continue
            lane = lane_rows.get(item.log.rule_id)
            if lane is not None and _uncounted(item, lane, now):
                kept.append(item)
                results.setdefault(lane.rule_id, [])  # its state changed: saved below
                continue
            _fill(item, now)
            kept.append(item)
            if lane is not None and item.headers is not None:
                results[lane.rule_id].append(item.result)
        WebhookLog.objects.bulk_update([item.log for item in kept], LOG_FIELDS)
        _consequences([item for item in kept if item.log.status != LogStatus.PENDING], now)
        for rule_id, lane_results in results.items():
            lanes.settle(lane_rows[rule_id], lane_results, now)
    return sum(1 for item in kept if item.headers is not None)


def _lock_lanes(rule_ids: set[int]) -> dict[int, Lane]:
    rows = Lane.objects.select_for_update().filter(rule_id__in=rule_ids).order_by("rule_id")
    return {lane.rule_id: lanes.remember(lane) for lane in rows}


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
    for delta, event_ids in by_delta.items():
        events = EventHistory.objects.filter(pk__in=event_ids)
        events.update(success_count=F("success_count") + delta)
