"""Event producer for the deployed-stack bench, run as its own process with the real settings.

``python -m bench.produce batch N [B] [MODEL]``: record N events in batches of B through
``hub.events.record_events`` (each commit queues its deliveries on the configured broker).
``python -m bench.produce pace RATE SECONDS [MODEL]``: one event per ``record_events`` call at a
steady RATE events/s.
``python -m bench.produce emit RATE SECONDS URL TOKEN [MODEL]``: POST /api/emit/ at a steady
RATE events/s (several client threads, so a slow answer does not slow the pace).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


def batch(count: int, size: int, model: str) -> None:
    from hub.events import NewEvent, record_events

    for start in range(0, count, size):
        record_events(
            [
                NewEvent(model=model, event_code="write", record_id=i, data={"id": i, "n": i})
                for i in range(start, min(start + size, count))
            ]
        )


def pace(rate: float, seconds: float, model: str) -> None:
    """One event per transaction at a steady rate (as an Odoo push or an API caller would)."""
    from hub.events import NewEvent, record_events

    total = int(rate * seconds)
    started = time.monotonic()
    for i in range(total):
        pause = started + i / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        record_events([NewEvent(model=model, event_code="write", record_id=i, data={"id": i})])
    print(f"recorded {total} in {time.monotonic() - started:.1f} s")


def emit(rate: float, seconds: float, url: str, token: str, model: str) -> None:
    target = urllib.parse.urlsplit(url)
    local = threading.local()
    failures: list[int] = []

    def post(i: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=30
            )
        body = json.dumps({"model": model, "event": "write", "record_id": i, "data": {"id": i}})
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        try:
            conn.request("POST", "/api/emit/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 202:
                failures.append(response.status)
        except OSError:
            local.conn = None
            failures.append(0)

    total = int(rate * seconds)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for i in range(total):
            pause = started + i / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            pool.submit(post, i)
    print(f"emitted {total} in {time.monotonic() - started:.1f} s, {len(failures)} failed")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    import django

    django.setup()
    mode, *args = sys.argv[1:]
    if mode == "batch":
        batch(int(args[0]), int(args[1]) if len(args) > 1 else 50, *(args[2:3] or ["res.partner"]))
    elif mode == "pace":
        pace(float(args[0]), float(args[1]), *(args[2:3] or ["res.partner"]))
    else:
        emit(float(args[0]), float(args[1]), args[2], args[3], *(args[4:5] or ["res.partner"]))


if __name__ == "__main__":
    main()
