"""Capture latency: from an Odoo commit to the receiver, with the long-running poller.

The real loop of ``manage.py poll_odoo`` (``hub.odoo.runner.run``) polls a fake Odoo (its clock
is the real one) every 2 s; a sync rule sends each write event to a real HTTP receiver on
127.0.0.1. Between the poller's ticks, an "Odoo user" changes one partner at a random moment:

- polling: the change is committed; latency = its arrival at the receiver - the commit;
- nudge: as Odoo's "Send Webhook Notification" does, the nudge URL is called from inside the
  transaction, before the commit (the hub's read at once sees the old record), then the
  transaction commits 20 ms later; latency = arrival - commit.

Also: Odoo calls per second of an idle connection (counted over IDLE seconds, once nothing
has changed for SETTLE seconds: the last changes were read again once, as they settled).
Targets (issue 12): p95 at most 5 s polling every 2 s, at most 1 s with a nudge, at most
1 call per second per connection when idle. Run alone: ``python -m bench odoo_latency``.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from functools import partial

CHANGES = 20
IDLE = 10.0
SETTLE = 5.0  # seconds without changes before the idle count starts
INTERVAL = 2


class Driver:
    """The runner's sleep: sleeps for real, and acts as the Odoo user at scheduled moments."""

    def __init__(self) -> None:
        self.actions: list[tuple[float, Callable[[], None]]] = []
        self.done = False

    def at(self, when: float, action: Callable[[], None]) -> None:
        self.actions.append((when, action))
        self.actions.sort(key=lambda item: item[0])

    def sleep(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while self.actions and self.actions[0][0] <= end:
            when, action = self.actions.pop(0)
            time.sleep(max(0.0, when - time.perf_counter()))
            action()
        time.sleep(max(0.0, end - time.perf_counter()))


def _timed_receiver():  # noqa: ANN202 - a Receiver subclass, imported late (Django set up)
    from tests.fakes.receiver import Receiver

    class TimedReceiver(Receiver):
        """Notes when each request arrived (perf_counter), keyed by its email."""

        def __init__(self) -> None:
            super().__init__()
            self.arrived: dict[str, float] = {}

        def _record(self, recorded):  # noqa: ANN001, ANN202
            data = json.loads(recorded.body or b"{}").get("data") or {}
            self.arrived.setdefault(str(data.get("email")), time.perf_counter())
            return super()._record(recorded)

    return TimedReceiver()


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    from django.test import Client

    from hub.models import ModelHook, OdooConnection
    from hub.odoo import runner, services
    from hub.odoo.nudge import nudge_url
    from rules.models import WebhookEvent, WebhookRule
    from tests.fakes.odoo import DB, HUB_PASSWORD, FakeOdoo

    fake = FakeOdoo().start()
    rx = _timed_receiver().start()
    try:
        conn = OdooConnection.objects.create(
            name="latency",
            url=fake.url,
            database=DB,
            username="hub",
            password=HUB_PASSWORD,
            poll_interval=INTERVAL,
        )
        ModelHook.objects.create(
            connection=conn, model="res.partner", tracked_fields=["name", "email"]
        )
        rule = WebhookRule.objects.create(
            name="latency", model="res.partner", url=rx.url_for("/hook"), dispatch_mode="sync"
        )
        rule.events.set(WebhookEvent.objects.filter(code="write"))
        ids = [fake.create("res.partner", {"name": f"P{i}"}) for i in range(CHANGES)]
        services.poll_connection(connection_id=conn.pk)  # the baseline
        path = nudge_url(conn).split("://", 1)[1].split("/", 1)[1]
        web = Client()
        driver = Driver()
        committed: dict[str, float] = {}  # the email written -> commit time

        def change(pid: int, tag: str, nudge: bool) -> None:
            email = f"{tag}.{pid}@example.com"
            if not nudge:
                fake.write("res.partner", pid, {"email": email})
                committed[email] = time.perf_counter()
                return
            tx = fake.begin()
            tx.write("res.partner", [pid], {"email": email})
            body = json.dumps({"_model": "res.partner", "_id": pid, "_action": "Notify(#1)"})
            web.post(f"/{path}", data=body, content_type="application/json")

            def commit() -> None:
                tx.commit()
                committed[email] = time.perf_counter()

            # Odoo commits on its own, whatever the hub is doing: a thread (the fake is
            # thread-safe), not the driver, which only acts between the poller's ticks.
            threading.Timer(0.02, commit).start()

        def schedule(start: float, tag: str, nudge: bool) -> float:
            when = start
            for pid in ids:
                when += random.uniform(0.3, 2.3)  # noqa: S311 - timing jitter, not security
                driver.at(when, partial(change, pid, tag, nudge))
            return when + 3.0

        rng_start = time.perf_counter() + 0.5
        polling_end = schedule(rng_start, "poll", nudge=False)
        nudge_end = schedule(polling_end, "nudge", nudge=True)
        idle_calls: list[int] = []
        idle_start = nudge_end + SETTLE  # the last changes settled: nothing left to read

        def start_idle() -> None:
            fake.reset_calls()
            idle_calls.append(0)

        driver.at(idle_start, start_idle)
        driver.at(idle_start + IDLE, lambda: idle_calls.append(fake.count()))
        runner.run(stop=lambda: len(idle_calls) == 2, sleep=driver.sleep)
        rx.wait_for(2 * CHANGES, timeout=10)
        arrived = dict(rx.arrived)
    finally:
        rx.stop()
        fake.stop()

    for tag, target in (("poll", 5.0), ("nudge", 1.0)):
        lat = [arrived[e] - t for e, t in committed.items() if e.startswith(tag) and e in arrived]
        lost = sum(1 for e in committed if e.startswith(tag) and e not in arrived)
        label = "polling every 2 s" if tag == "poll" else "nudge (sent before the commit)"
        print(
            f"{label:<32} commit -> receiver: p50 {statistics.median(lat):.2f} s, "
            f"p95 {_p95(lat):.2f} s, max {max(lat):.2f} s over {len(lat)} changes, "
            f"{lost} lost (target p95 <= {target:.0f} s)"
        )
    print(
        f"idle connection: {idle_calls[1]} Odoo calls in {IDLE:.0f} s = "
        f"{idle_calls[1] / IDLE:.2f} calls/s (target <= 1)"
    )


if __name__ == "__main__":
    main()
