"""Lanes against a receiver that answers after 50 ms: deliveries/s with the default lane limit.

Hub side: N deliveries recorded (the lane paused while recording, so nothing leaves early),
then one sender (`delivery.sender.pump`) drains them through the lane at its default
`max_in_flight` (10): claims, concurrent aiohttp sends, results recorded per group. Baselines in
the same run, to the same receiver: the old design (one request in flight per worker, two
workers: two threads with a sequential ``requests.Session`` each), and aiohttp with 50 requests
in flight. The lane limit bounds the hub at 10 / 0.05 s = 200/s here, on purpose.
Run: ``make bench`` or ``python -m bench lanes``.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import aiohttp
import requests

N = 600
DELAY = 0.05
BODY = b'{"id": "evt", "type": "res.partner.write", "data": {"n": 1}}'


def _one_at_a_time(url: str, workers: int = 2, count: int = 200) -> float:
    """The old design: each worker sends one request at a time."""

    def run() -> None:
        session = requests.Session()
        for _ in range(count // workers):
            session.post(url, data=BODY, timeout=15).raise_for_status()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


async def _aiohttp(url: str, count: int, in_flight: int) -> float:
    async with aiohttp.ClientSession() as session:
        gate = asyncio.Semaphore(in_flight)

        async def one() -> None:
            async with gate, session.post(url, data=BODY) as response:
                await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return count / (time.perf_counter() - started)


def _hub(url: str, count: int) -> float:
    from delivery import lanes, sender
    from delivery.models import Lane, LogStatus, WebhookLog
    from hub.events import NewEvent, record_events
    from rules.models import WebhookEvent, WebhookRule

    rule = WebhookRule.objects.create(name="lanes bench", model="res.partner", url=url)
    rule.events.set([WebhookEvent.objects.get_or_create(code="write")[0]])
    lanes.pause(rule_ids=[rule.pk])
    for start in range(0, count, 50):
        record_events(
            [
                NewEvent(model="res.partner", event_code="write", record_id=i, data={"id": i})
                for i in range(start, min(start + 50, count))
            ]
        )
    Lane.objects.filter(rule=rule).update(paused=False)
    started = time.perf_counter()
    sender.pump()
    elapsed = time.perf_counter() - started
    done = WebhookLog.objects.filter(rule=rule, status=LogStatus.SUCCESS).count()
    if done != count:
        raise SystemExit(f"only {done} of {count} deliveries succeeded")
    return count / elapsed


def main() -> None:
    from bench.bench_stack import _receiver

    # The asyncio receiver (its own process): the threaded test receiver cannot hold 50
    # connections open at once (its listen backlog is 5).
    with _receiver() as base:
        url = f"{base}/hook?ms={DELAY * 1000:.0f}"
        old = _one_at_a_time(url)
        fast = asyncio.run(_aiohttp(url, N, 50))
        hub = _hub(url, N)
    print(f"receiver answers after        : {DELAY * 1000:.0f} ms")
    print(f"old design, 2 workers x 1     : {old:8.0f} POST/s")
    print(f"aiohttp, 50 in flight         : {fast:8.0f} POST/s")
    print(f"hub, 1 sender, lane limit 10  : {hub:8.0f} deliveries/s ({N}; target >= 150)")
    print(f"ratio hub / old design        : {hub / old:8.2f}")
    print(f"ratio hub / aiohttp 50        : {hub / fast:8.2f}")


if __name__ == "__main__":
    from bench.__main__ import main as run_benches

    sys.argv = [sys.argv[0], "lanes"]
    sys.exit(run_benches())
