"""Outbound throughput: deliveries/s end to end (recorded -> sent -> log committed) vs a bare loop.

Hub side: ``hub.events.record_events`` in batches, through the real code path: the transaction
writes the events and their pending logs, ``on_commit`` queues ``delivery.tasks.deliver`` with
up to 50 log ids per task, and the task's lane sender claims them, builds headers, signs, sends
them concurrently through ``hub.lib.http_async`` and records each group of results in one
transaction. The queue is django-q2 in sync mode (the bench
runner uses tests.settings), so each task runs in-process in the committing thread, with the
queue's own overhead (task packing, Task row saved). Baseline: a ``requests.Session`` loop of
N POSTs of a similar body to the same loopback receiver, in the same run.
Database: the bench runner's throw-away test database (SQLite in memory, or test_<db> of
DATABASE_URL). Run: ``make bench`` or ``python -m bench delivery``.
"""

from __future__ import annotations

import json
import sys
import time

import requests

N = 500
BATCH = 50  # events per record_events call (an Odoo poll records its batch the same way)
SINGLE = 100  # events recorded one per call: one transaction and one queue task each


def _baseline(url: str, body: bytes) -> float:
    session = requests.Session()
    started = time.perf_counter()
    for _ in range(N):
        response = session.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=15
        )
        response.raise_for_status()
    return N / (time.perf_counter() - started)


def _hub(url: str, *, count: int, batch: int) -> float:
    from delivery.models import LogStatus, WebhookLog
    from hub.events import NewEvent, record_events

    before = WebhookLog.objects.filter(status=LogStatus.SUCCESS).count()
    started = time.perf_counter()
    for start in range(0, count, batch):
        record_events(
            [
                NewEvent(
                    model="res.partner",
                    event_code="write",
                    record_id=i,
                    data={"id": i, "name": f"Partner {i}", "email": f"p{i}@example.com"},
                    changes={"email": {"before": "old@example.com", "after": f"p{i}@example.com"}},
                )
                for i in range(start, min(start + batch, count))
            ]
        )
    elapsed = time.perf_counter() - started
    delivered = WebhookLog.objects.filter(status=LogStatus.SUCCESS).count() - before
    if delivered != count:
        raise SystemExit(f"only {delivered} of {count} deliveries succeeded")
    return count / elapsed


def main() -> None:
    from rules.models import WebhookEvent, WebhookRule
    from tests.fakes.receiver import Receiver

    with Receiver() as receiver:
        url = receiver.url_for("/hook")
        rule = WebhookRule.objects.create(name="bench", model="res.partner", url=url)
        rule.events.set([WebhookEvent.objects.get_or_create(code="write")[0]])
        body = json.dumps({"id": "x" * 36, "type": "res.partner.write", "data": {"n": 1}}).encode()
        _hub(url, count=BATCH, batch=BATCH)  # warm-up: connections, caches, first queries
        _baseline(url, body)
        raw = _baseline(url, body)
        batched = _hub(url, count=N, batch=BATCH)
        single = _hub(url, count=SINGLE, batch=1)
    print(f"raw requests.Session loop : {raw:8.0f} POST/s ({N} requests)")
    print(f"hub, {BATCH} events per call   : {batched:8.0f} deliveries/s end to end ({N})")
    print(f"hub, 1 event per call     : {single:8.0f} deliveries/s end to end ({SINGLE})")
    print(f"ratio hub/raw (batched)   : {batched / raw:8.2f}")
    print(f"ratio hub/raw (1 per call): {single / raw:8.2f}")


if __name__ == "__main__":
    from bench.__main__ import main as run_benches

    sys.argv = [sys.argv[0], "delivery"]
    sys.exit(run_benches())
