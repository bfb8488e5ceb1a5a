"""The circuit breaker during a 30-minute outage of one endpoint, against today's retry schedule.

The issue's target: "during a 30-minute outage of one endpoint, attempts to it fall by at least
90% compared with today's retry schedule, and after it recovers its backlog drains by itself,
in order for ordered rules".

Measured on the real code paths, in-process: events recorded by ``hub.events.record_events``
(one commit per event; the commit queues its deliveries), the queued ``delivery.tasks.deliver``
tasks run by the bench's workers (a simulated broker: ``hub.lib.queue.enqueue`` keeps them and
the bench runs them in each step, as django-q2 workers would), and the two sweeps
(``delivery.sweeps.retry_sweep``, ``lost_task_sweep``) once a simulated minute, as their
schedules do. Two rules with the default retry policy (10 attempts, 60 s doubling) send to one
loopback receiver that answers 503 for 30 minutes: *plain* (one record per event, so every
delivery retries on its own schedule) and *ordered* (FIFO per record, 5 records).

Time is simulated: ``django.utils.timezone.now``, which every claim, lease, breaker, backoff and
sweep reads, is a clock this bench moves by ``STEP`` (15 s) at a time (only here; HTTP and the
sender's own pacing run in real time). One event per rule every ``BENCH_BREAKER_EVERY`` simulated
seconds (default 5: 360 per rule in the 30 minutes).

Two runs: the lanes' breaker off (``breaker_threshold = 0``: each delivery retried on its own
schedule, as before the breaker) and on (the defaults: 10 failures, 30 s doubling to 10 min).
Printed: requests that reached the endpoint during the outage in each, and the ratio (target
<= 0.10). Then, in the breaker run, the endpoint recovers (answers 200) and nobody acts: the
bench steps on until every delivery is made and prints how long that took, the requests, and
whether each record's deliveries of the ordered rule arrived in event order, once each.
Run: ``make bench`` or ``python -m bench breaker``.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

OUTAGE = 30 * 60  # seconds of outage (simulated)
RECOVERY_LIMIT = 90 * 60  # simulated seconds the bench waits for the drain after recovery
STEP = 15  # simulated seconds per step: a quarter of the sweeps' minute
EVERY = int(os.environ.get("BENCH_BREAKER_EVERY", "5"))  # simulated seconds between events
SWEEP_EVERY = 60  # the sweeps' schedules (delivery/schedules.py)
RECORDS = 5  # records of the ordered rule
MAX_TASKS_PER_STEP = 1000


class Clock:
    """What ``django.utils.timezone.now`` returns while the bench runs: stepped, not flowing."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@contextmanager
def simulated_time() -> Iterator[Clock]:
    from django.utils import timezone

    clock = Clock(timezone.now())
    with mock.patch.object(timezone, "now", clock.now):
        yield clock


class Broker:
    """The queue, simulated: ``hub.lib.queue.enqueue`` keeps the task here and the bench's
    workers run it during the step (as a django-q2 worker would; the test settings' inline queue
    would run each hand-off inside the one that queued it, recursively)."""

    def __init__(self) -> None:
        self.tasks: deque[tuple[str, tuple]] = deque()

    def enqueue(self, func: str, *args: Any, **options: Any) -> str:
        self.tasks.append((func, args))
        return "simulated"

    def work(self) -> int:
        """Run the queued tasks, those they queue too (bounded); returns how many ran."""
        ran = 0
        while self.tasks and ran < MAX_TASKS_PER_STEP:
            func, args = self.tasks.popleft()
            module, name = func.rsplit(".", 1)
            getattr(importlib.import_module(module), name)(*args)
            ran += 1
        return ran


@contextmanager
def simulated_queue() -> Iterator[Broker]:
    from hub.lib import queue

    broker = Broker()
    with mock.patch.object(queue, "enqueue", broker.enqueue):
        yield broker


@dataclass
class Run:
    plain: int  # rule ids
    ordered: int
    events: int = 0
    outage_requests: tuple[int, int] = (0, 0)  # (plain, ordered) that reached the endpoint


def _rules(receiver_url: str, label: str, breaker: bool) -> Run:
    from delivery.models import Lane
    from rules.models import WebhookEvent, WebhookRule

    write = WebhookEvent.objects.get_or_create(code="write")[0]
    ids = []
    for name, model, ordered in (("plain", "res.partner", False), ("ordered", "sale.order", True)):
        rule = WebhookRule.objects.create(
            name=f"{label} {name}",
            model=model,
            url=f"{receiver_url}/{label}/{name}",
            ordered=ordered,
        )
        rule.events.set([write])
        # The defaults are the breaker run; 0 switches it off (the retry schedule alone).
        Lane.objects.create(rule=rule, **({} if breaker else {"breaker_threshold": 0}))
        ids.append(rule.pk)
    return Run(plain=ids[0], ordered=ids[1])


def _step(clock: Clock, broker: Broker, run: Run, n: int) -> None:
    """One simulated step: the clock moves, one event per rule, the sweeps when due, the
    workers run what was queued."""
    from delivery import sweeps
    from hub.events import NewEvent, record_events

    clock.advance(STEP)
    for _ in range(max(STEP // EVERY, 1)):  # one commit per event, as pushes arrive
        record_events(
            [
                NewEvent(model="res.partner", event_code="write", record_id=run.events + 1),
                NewEvent(
                    model="sale.order", event_code="write", record_id=run.events % RECORDS + 1
                ),
            ]
        )
        run.events += 1
    if (n * STEP) % SWEEP_EVERY == 0:
        sweeps.retry_sweep()
        sweeps.lost_task_sweep()
    broker.work()


def _requests(receiver, path: str) -> list:
    return [r for r in receiver.requests if r.path == path]


def _outage(clock: Clock, broker: Broker, receiver, label: str, breaker: bool) -> Run:
    from tests.fakes.receiver import Reply

    receiver.default = Reply(503)
    run = _rules(receiver.url, label, breaker)
    for n in range(1, OUTAGE // STEP + 1):
        _step(clock, broker, run, n)
    run.outage_requests = (
        len(_requests(receiver, f"/{label}/plain")),
        len(_requests(receiver, f"/{label}/ordered")),
    )
    return run


def _drained(run: Run) -> bool:
    from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry

    rules = [run.plain, run.ordered]
    delivered = WebhookLog.objects.filter(rule_id__in=rules, status=LogStatus.SUCCESS).count()
    waiting = WebhookRetry.objects.filter(
        rule_id__in=rules, state__in=[RetryState.PENDING, RetryState.RETRYING]
    ).exists()
    return delivered == 2 * run.events and not waiting


def _recover(
    clock: Clock, broker: Broker, receiver, run: Run, label: str
) -> tuple[float | None, int]:
    """The endpoint answers again; step on (events keep coming) until everything is delivered.
    Returns (simulated seconds to drain or None, steps)."""
    from tests.fakes.receiver import Reply

    receiver.default = Reply(200)
    steps = 0
    first = OUTAGE // STEP + 1
    while steps * STEP < RECOVERY_LIMIT:
        steps += 1
        _step(clock, broker, run, first + steps)
        if _drained(run):
            return steps * STEP, steps
    return None, steps


def _in_order(receiver, run: Run, label: str, since: int) -> tuple[bool, int, int]:
    """(every record's deliveries arrived in event order, successes, distinct webhook-ids)
    among the ordered rule's requests answered 200 (those after the recovery)."""
    from delivery.models import WebhookLog

    answered = _requests(receiver, f"/{label}/ordered")[since:]
    ids = [r.header("webhook-id") for r in answered]
    logs = WebhookLog.objects.filter(rule_id=run.ordered, delivery_id__in=ids)
    line = {d: (r, e) for d, r, e in logs.values_list("delivery_id", "record_id", "event_id")}
    by_record: dict[int | None, list[int]] = defaultdict(list)
    for delivery_id in ids:
        record_id, event_id = line[delivery_id]
        by_record[record_id].append(event_id or 0)
    ordered = all(events == sorted(events) for events in by_record.values())
    return ordered, len(ids), len(set(ids))


def _clear() -> None:
    from delivery.models import WebhookLog, WebhookRetry
    from hub.models import EventHistory
    from rules.models import WebhookRule

    WebhookRetry.objects.all().delete()
    WebhookLog.objects.all().delete()
    EventHistory.objects.all().delete()
    WebhookRule.objects.all().delete()


def main() -> None:
    from tests.fakes.receiver import Receiver

    started = time.perf_counter()
    with Receiver() as receiver, simulated_time() as clock, simulated_queue() as broker:
        off = _outage(clock, broker, receiver, "off", breaker=False)
        _clear()
        on = _outage(clock, broker, receiver, "on", breaker=True)
        since = on.outage_requests[1]
        drained_in, steps = _recover(clock, broker, receiver, on, "on")
        ordered, successes, distinct = _in_order(receiver, on, "on", since)
        recovery = [len(_requests(receiver, f"/on/{name}")) for name in ("plain", "ordered")]
    wall = time.perf_counter() - started
    ratio = [on.outage_requests[i] / max(off.outage_requests[i], 1) for i in (0, 1)]
    total = sum(on.outage_requests) / max(sum(off.outage_requests), 1)
    print(
        f"outage {OUTAGE // 60} min (simulated, {STEP} s steps), one event per rule every "
        f"{EVERY} s: {off.events} per rule; wall time {wall:.0f} s"
    )
    print("requests that reached the failing endpoint during the outage:")
    print(
        f"  plain rule   : breaker off {off.outage_requests[0]:6}  on {on.outage_requests[0]:5}"
        f"  ratio {ratio[0]:.3f} (target <= 0.10)"
    )
    print(
        f"  ordered rule : breaker off {off.outage_requests[1]:6}  on {on.outage_requests[1]:5}"
        f"  ratio {ratio[1]:.3f} (an ordered line retries only its oldest delivery per record)"
    )
    print(f"  both rules   : ratio {total:.3f}")
    if drained_in is None:
        print(f"recovery: NOT drained within {RECOVERY_LIMIT // 60} simulated minutes")
    else:
        print(
            f"recovery: every delivery made {drained_in / 60:.1f} simulated minutes after the "
            f"endpoint came back, nobody acting ({on.events} events per rule by then; "
            f"requests during recovery: plain {recovery[0] - on.outage_requests[0]}, "
            f"ordered {recovery[1] - on.outage_requests[1]})"
        )
    print(
        f"recovery: ordered rule {successes} deliveries answered 200, {distinct} distinct "
        f"webhook-ids, per-record event order {'kept' if ordered else 'BROKEN'}"
    )


if __name__ == "__main__":
    from bench.__main__ import main as run_benches

    sys.argv = [sys.argv[0], "breaker"]
    sys.exit(run_benches())
