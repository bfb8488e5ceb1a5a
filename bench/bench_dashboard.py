"""Dashboard JSON with 1,000 log rows vs 1,000,000 (rolled up): it must stay about as fast.

Runs inside bench/__main__.py's throw-away database. BENCH_DASHBOARD_ROWS overrides the big
size (default 1,000,000). Prints the seeding and rollup times, the median time of
GET /webhook/dashboard/data?days=90 at both sizes and their ratio, and one request without
rollups at the big size for contrast.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.test import Client

from dashboard.models import DailyInbound, DailyMetric, RollupDay
from dashboard.rollups import rollup_days
from dashboard.seeding import seed_logs
from delivery.models import WebhookLog

SMALL = 1_000
BIG = int(os.environ.get("BENCH_DASHBOARD_ROWS", "1000000"))
URL = "/webhook/dashboard/data?days=90"
REPEAT = 15


def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def median_request_ms(client: Client, url: str = URL) -> float:
    def call() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    call()  # warm-up: connection, caches
    return statistics.median(timed(call) * 1000 for _ in range(REPEAT))


def grow_to(rows: int, *, seed: int) -> str:
    missing = rows - WebhookLog.objects.count()
    seeding = timed(
        lambda: seed_logs(count=missing, days=90, rules=8, batch_size=10_000, seed=seed)
    )
    rollup = timed(lambda: rollup_days(days=90))
    return f"seeded {missing:,} rows in {seeding:.1f} s, rolled up 90 days in {rollup:.1f} s"


def main() -> None:
    user = get_user_model().objects.create_superuser("bench-dash", "b@example.com", "pw-bench-1")
    client = Client()
    client.force_login(user)
    first_id = (WebhookLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    try:
        print(f"{SMALL:>9,} rows: {grow_to(SMALL, seed=1)}", flush=True)
        small_ms = median_request_ms(client)
        print(f"{SMALL:>9,} rows: data endpoint {small_ms:.1f} ms (median of {REPEAT})")

        print(f"{BIG:>9,} rows: {grow_to(BIG, seed=2)}", flush=True)
        big_ms = median_request_ms(client)
        print(f"{BIG:>9,} rows: data endpoint {big_ms:.1f} ms (median of {REPEAT})")
        filtered_ms = median_request_ms(client, URL + "&model=sale.order")
        print(f"{BIG:>9,} rows: data endpoint, model filter {filtered_ms:.1f} ms")

        RollupDay.objects.all().delete()  # without rollups every day is read from the logs
        live_ms = timed(lambda: client.get(URL)) * 1000
        print(f"{BIG:>9,} rows: without rollups (all live) {live_ms:.0f} ms (one request)")

        print(f"ratio {BIG:,} / {SMALL:,} rows (rolled up): {big_ms / small_ms:.2f}x")
        print(f"rollups save: {live_ms / big_ms:.0f}x at {BIG:,} rows")
    finally:
        # The database is shared with the benches that run next: leave it as it was.
        cleanup = timed(lambda: WebhookLog.objects.filter(pk__gte=first_id).delete())
        for model in (DailyMetric, DailyInbound, RollupDay):
            model.objects.all().delete()
        user.delete()
        print(f"cleaned up in {cleanup:.1f} s")
