"""A fast asyncio webhook receiver for the benches (its own process): ``python -m bench.receiver``.

POST any path: answers 200 after ``?ms=`` milliseconds (default 0); ``?fail=0.3`` answers 500
to that share of requests. It records, per path, the requests, the distinct ``webhook-id``s and
the latency from the body's ``timestamp`` (the event's time) to arrival. ``GET /stats`` returns
them as JSON (``p50``/``p99`` in ms); ``POST /reset`` forgets them. Prints ``port <n>`` when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections import defaultdict
from datetime import datetime

from aiohttp import web

_seen: dict[str, set[str]] = defaultdict(set)
_count: dict[str, int] = defaultdict(int)
_latency: dict[str, list[float]] = defaultdict(list)


async def hook(request: web.Request) -> web.Response:
    body = await request.read()
    path = request.path
    _count[path] += 1
    _seen[path].add(request.headers.get("webhook-id", ""))
    if request.query.get("lat"):
        stamp = json.loads(body).get("timestamp", "")
        sent = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        _latency[path].append((time.time() - sent) * 1000)
    delay = float(request.query.get("ms", 0)) / 1000
    if delay:
        await asyncio.sleep(delay)
    if random.random() < float(request.query.get("fail", 0)):
        return web.Response(status=500, text="failing on purpose")
    return web.Response(text='{"ok": true}', content_type="application/json")


def _quantile(values: list[float], q: float) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def stats(request: web.Request) -> web.Response:
    return web.json_response(
        {
            path: {
                "count": _count[path],
                "distinct": len(_seen[path]),
                "p50": _quantile(_latency[path], 0.5),
                "p99": _quantile(_latency[path], 0.99),
            }
            for path in _count
        }
    )


async def reset(request: web.Request) -> web.Response:
    for table in (_seen, _count, _latency):
        table.clear()
    return web.Response(text="ok")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    app.router.add_route("*", "/{tail:.*}", hook)

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"port {port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
