"""Inbound throughput: accepted requests/s on a verified Standard Webhooks source vs a bare view.

Both are served by the same Django WSGI handler (same middleware) behind the same threaded
wsgiref server on 127.0.0.1, and driven by the same client loop; the inbound side does the full
receive path (source lookup, signature, JSON, idempotency insert, enqueue on the real broker).
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

SECONDS = 4.0  # measured per side, after a warm-up
WARMUP = 100
CLIENTS = 4  # concurrent client threads (1 on SQLite: its in-memory test database has no
# busy timeout, so concurrent writers fail instead of waiting as they do on a WAL file)
BODY = json.dumps({"type": "order.paid", "order": {"id": 17, "total": 120.5}}).encode()


@csrf_exempt  # like the inbound views: the baseline pays the same middleware, no more
def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok")


urlpatterns = [path("bench/ok", ok), path("", include("hub.urls"))]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


_Request = socket.socket | tuple[bytes, socket.socket]  # socketserver's: a TCP or a UDP request


class _PoolServer(WSGIServer):
    """A fixed pool of worker threads (like gunicorn's gthread), so each keeps its database
    connection between requests instead of opening one per request."""

    def __init__(self, *args: Any, workers: int = CLIENTS, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers)

    def process_request(self, request: _Request, client_address: Any) -> None:
        self.pool.submit(self._work, request, client_address)

    def _work(self, request: _Request, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - like socketserver: report, keep serving
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def close_pool(self) -> None:
        """Close every worker thread's database connections, then stop the pool."""
        from django.db import connections

        barrier = threading.Barrier(self.workers, timeout=10)

        def close() -> None:
            barrier.wait()  # one task per thread: each waits until all threads hold one
            connections.close_all()

        for future in [self.pool.submit(close) for _ in range(self.workers)]:
            future.result(timeout=15)
        self.pool.shutdown(wait=True)


def _signed(secret: str, count: int) -> list[dict[str, str]]:
    from standardwebhooks import Webhook

    hook = Webhook(secret)
    now = datetime.now(tz=UTC)
    out = []
    for _ in range(count):
        msg_id = f"msg_{uuid.uuid4().hex}"
        out.append(
            {
                "Content-Type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": hook.sign(msg_id, now, BODY.decode()),
            }
        )
    return out


def _drive(
    port: int, url: str, headers: list[dict[str, str]], seconds: float, clients: int
) -> dict:
    """CLIENTS threads post until the time is up; returns rate and latency percentiles."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(range(len(headers)))
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            started = time.perf_counter()
            conn.request("POST", url, body=BODY, headers=headers[i])
            status = conn.getresponse().status
            elapsed = time.perf_counter() - started
            conn.close()
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    took = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": len(latencies) / took,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "statuses": statuses,
    }


def main() -> None:
    import logging

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import override_settings
    from django_q.conf import Conf

    from hub.crypto import generate_signing_secret
    from inbound.models import InboundSource, IncomingWebhook

    # Enqueue on the configured broker as production does, instead of running the handler
    # inline (the test settings' sync mode): the response is sent before any handler runs.
    Conf.SYNC = False
    logging.getLogger("django-q").setLevel(logging.WARNING)
    clients = 1 if connection.vendor == "sqlite" else CLIENTS
    secret = generate_signing_secret()
    source = InboundSource.objects.create(name="bench", verification="standard", secret=secret)
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"]):
        server = make_server(
            "127.0.0.1", 0, WSGIHandler(), server_class=_PoolServer, handler_class=_Quiet
        )
        port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            plain = [{"Content-Type": "application/json"}] * 100_000
            signed = _signed(secret, 30_000)
            _drive(port, "/bench/ok", plain[:WARMUP], 5, clients)
            _drive(port, source.path, signed[:WARMUP], 5, clients)
            base = _drive(port, "/bench/ok", plain, SECONDS, clients)
            inbound = _drive(port, source.path, signed[WARMUP:], SECONDS, clients)
        finally:
            server.shutdown()
            server.close_pool()
            server.server_close()
    accepted = IncomingWebhook.objects.filter(source=source, state="received").count()
    print(
        f"{connection.vendor}, clients={clients}, {SECONDS:g} s each, "
        "wsgiref + thread pool on 127.0.0.1, same Django handler"
    )
    for name, r in (("bare view (200)", base), ("inbound standard (202)", inbound)):
        print(
            f"{name:24} {r['rps']:8.1f} req/s   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms"
            f"   statuses {r['statuses']}"
        )
    print(f"accepted rows stored: {accepted}")
    print(f"ratio inbound/bare: {inbound['rps'] / base['rps']:.2f}")
