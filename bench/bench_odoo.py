"""Odoo poller cost: a poll's time against a bare xmlrpc.client search_read of the same records.

Both read the same N res.partner records, with the same fields, from the same fake Odoo XML-RPC
server on 127.0.0.1 (tests/fakes/odoo.py), in the same run. Hub side: the real poller
(`hub.odoo.services.poll_connection`): the id/write_date scan, full reads of what changed, the
dotted path a rule needs (`country_id.code`, one batched read per page), snapshot diffs, events
recorded with their cursor in one transaction per page, and the delete count. The rule is
active but listens to no event, so it shapes what is read without adding deliveries.

Figures (time of one poll / time of the bare loop; targets from issue 12):
- every record changed: at most 3x (median of 3 rounds);
- nothing new, the steady state (the changes are older than the recent window but inside the
  overlap, which the old poller re-read in full): under 5%;
- printed too: the baseline, the first poll after the changes settle (records read in the
  second of their write_date are read once more), and the overlap scan that runs every
  HUB_ODOO_OVERLAP_SCAN_SECONDS (its share per poll at a 2 s interval).
Run: ``make bench`` or ``python -m bench odoo``.
"""

from __future__ import annotations

import os
import statistics
import time
import xmlrpc.client
from collections.abc import Callable
from typing import cast

N = 3000
PAGE = 500
ROUNDS = 3
FIELDS = [
    "active",
    "country_id",
    "create_date",
    "display_name",
    "email",
    "name",
    "write_date",
    "write_uid",
]


def _seed(fake) -> list[int]:
    fake.freeze("2026-01-05 10:00:00")
    countries = [fake.create("res.country", {"name": f"C{i}", "code": f"C{i}"}) for i in range(20)]
    ids = []
    for i in range(N):
        fake.tick(0.01)  # ~100 writes per second, as a busy Odoo would stamp them
        ids.append(
            fake.create(
                "res.partner",
                {
                    "name": f"Partner {i}",
                    "email": f"p{i}@example.com",
                    "country_id": countries[i % 20],
                },
            )
        )
    return ids


def _bare(fake, fields: list[str]) -> float:
    """The baseline: search_read in pages with the stdlib client, nothing else (seconds)."""
    common = xmlrpc.client.ServerProxy(f"{fake.url}/xmlrpc/2/common")
    uid = common.authenticate(fake.db, "hub", "hub-pass", {})
    models = xmlrpc.client.ServerProxy(f"{fake.url}/xmlrpc/2/object")
    started = time.perf_counter()
    seen = 0
    for offset in range(0, N, PAGE):
        rows = models.execute_kw(
            fake.db,
            uid,
            "hub-pass",
            "res.partner",
            "search_read",
            [[]],
            {
                "fields": fields,
                "offset": offset,
                "limit": PAGE,
                "order": "write_date asc, id asc",
                "context": {"active_test": False},
            },
        )
        seen += len(cast(list, rows))  # search_read answers a list of records
    assert seen == N, seen
    return time.perf_counter() - started


QUERIES = [0]  # statements the last timed poll sent to the hub's own database


def _count(execute, sql, params, many, context):  # noqa: ANN001, ANN202 - Django's wrapper API
    QUERIES[0] += 1
    return execute(sql, params, many, context)


def _timed(poll: Callable[[], object], fake) -> tuple[float, int]:
    from django.db import connection

    fake.reset_calls()
    QUERIES[0] = 0
    with connection.execute_wrapper(_count):
        started = time.perf_counter()
        poll()
        elapsed = time.perf_counter() - started
    return elapsed, fake.count()


def main() -> None:
    from django.conf import settings
    from django.core.cache import cache

    from hub.models import EventHistory, ModelHook, OdooConnection
    from hub.odoo import scan, services
    from rules.models import PayloadField, WebhookRule
    from tests.fakes.odoo import DB, HUB_PASSWORD, FakeOdoo

    settings.HUB_ODOO_BATCH_SIZE = PAGE
    settings.HUB_ODOO_RECONCILE_SECONDS = 3600
    fake = FakeOdoo().start()
    try:
        ids = _seed(fake)
        conn = OdooConnection.objects.create(
            name="bench", url=fake.url, database=DB, username="hub", password=HUB_PASSWORD
        )
        rule = WebhookRule.objects.create(
            name="bench", model="res.partner", url="http://127.0.0.1:9/", test_mode=True
        )
        PayloadField.objects.create(rule=rule, source_path="country_id.code")
        hook = ModelHook.objects.create(
            connection=conn, model="res.partner", tracked_fields=["name", "email"]
        )

        def poll() -> None:
            services.poll_connection(connection_id=conn.pk)

        bare = min(_bare(fake, FIELDS) for _ in range(ROUNDS))
        baseline, baseline_calls = _timed(poll, fake)
        poll()  # the first regular poll reconciles ids once (no count difference known yet)

        # Each round measures the bare loop right before the poll: the machine's load drifts,
        # so the ratio is taken per round (the median is printed).
        busy, busy_ratios, busy_calls = [], [], 0
        for n in range(ROUNDS):
            fake.tick(5)
            for pid in ids:
                fake.tick(0.01)
                fake.write("res.partner", pid, {"email": f"new{n}.{pid}@example.com"})
            reference = _bare(fake, FIELDS)
            seconds, busy_calls = _timed(poll, fake)
            busy.append(seconds)
            busy_ratios.append(seconds / reference)
        busy_queries = QUERIES[0]
        events = EventHistory.objects.filter(connection=conn, event_code="write").count()
        if events != N * ROUNDS:
            raise SystemExit(f"expected {N * ROUNDS} write events, got {events}")

        # Quiet from here on: once the hub's clock has moved past the recent window, a poll
        # reads the last second's records once more (settling), then nothing at all.
        time.sleep(settings.HUB_ODOO_RECENT_WINDOW + scan.CLOCK_SLACK.total_seconds() + 1.5)
        settle, settle_calls = _timed(poll, fake)
        idle_ratios, idle_calls = [], 0
        for _ in range(5):
            reference = _bare(fake, FIELDS)
            seconds, idle_calls = _timed(poll, fake)
            idle_ratios.append(seconds / reference)
        idle_queries = QUERIES[0]
        cache.delete(scan._key(hook.pk))  # as when the overlap scan is due
        overlap, overlap_calls = _timed(poll, fake)
        if EventHistory.objects.filter(connection=conn).count() != N * ROUNDS:
            raise SystemExit("a quiet poll emitted an event")
    finally:
        fake.stop()

    every = settings.HUB_ODOO_OVERLAP_SCAN_SECONDS
    print(f"records: {N}, page size {PAGE}, fields read {len(FIELDS)} + country_id.code")
    print(f"bare xmlrpc.client search_read loop: {bare * 1000:7.0f} ms ({N / bare:.0f} records/s)")
    rows = [
        ("baseline (no events)", baseline / bare, baseline_calls, ""),
        ("every record changed", statistics.median(busy_ratios), busy_calls, "target <= 3x"),
        ("settling (re-reads the last second)", settle / bare, settle_calls, "once"),
        ("nothing new (steady state)", statistics.median(idle_ratios), idle_calls, "target < 5%"),
        ("nothing new, overlap scan", overlap / bare, overlap_calls, f"every {every:.0f} s"),
    ]
    for label, ratio, calls, note in rows:
        print(
            f"hub poll, {label:<36} {ratio:7.1%} of bare ({ratio:.2f}x), {calls} Odoo calls  {note}"
        )
    print(
        f"hub database statements: {busy_queries} in an all-changed poll, {idle_queries} in an "
        "idle one (load-independent)"
    )
    share = overlap / bare * 2 / every
    print(
        f"every record changed: {statistics.median(busy) * 1000:.0f} ms; overlap scan per 2 s "
        f"poll, amortised: {share:.1%} of bare; ratios per round against a bare loop run "
        f"just before (load drifts); machine load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
