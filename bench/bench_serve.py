"""Intake under the production server: gunicorn as `manage.py serve` runs it, 32 senders.

Starts gunicorn exactly as the ``web`` role does (``hub.ops.processes.web_role``: 2 workers x
``HUB_WEB_THREADS`` gthreads, production settings with DEBUG off) on a throw-away database
(PostgreSQL created and dropped here; a SQLite file when no PostgreSQL answers), and measures
requests/s, p50, p99 and CPU per request (the server's, the senders') for three URLs, each
driven by the same 32 sender threads on loopback:

- the baseline: a bare ``csrf_exempt`` Django view (``bench/serve_urls.py``, reachable only
  through the bench's settings module ``bench/serve_settings.py``);
- ``POST /webhook/incoming/<slug>/`` on a ``standard``-verified source (202);
- ``POST /api/emit/`` with a token, matching one async rule (202: the event stored with the
  rule it matched, its planning handed to the queue; no worker runs, so no delivery is planned
  or sent: the web role's part of an emit is all that is measured, see hub/unplanned.py).

Each sender opens a new connection per request (as most webhook senders do) and the sides run
in alternating rounds so drift hits all of them alike. The broker is the configured one:
Redis when ``REDIS_URL`` is set (its queue is purged afterwards), else the ORM broker.
Run alone: ``python -m bench serve``. Environment: ``BENCH_POSTGRES_URL`` (the server to create
the database on; default ``DATABASE_URL`` when it is PostgreSQL, else
``postgres://postgres@127.0.0.1:5432/postgres``), ``BENCH_REQUESTS`` (per side and round).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg2.extensions

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 32
WORKERS = 2
ROUNDS = 3
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))  # per side and round
WARMUP = 200
TARGETS = {"inbound": (0.6, 50.0), "emit": (0.5, None)}  # ratio to bare, p99 ms
INBOUND_BODY = json.dumps({"type": "order.paid", "order": {"id": 17, "total": 120.5}}).encode()


@dataclass
class Side:
    name: str
    url: str
    requests: Callable[[int], list[tuple[bytes, dict[str, str]]]]
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of the server side (gunicorn, PostgreSQL backends)
    cpu_db: float = 0.0  # of which PostgreSQL backends
    cpu_senders: float = 0.0  # CPU seconds of this process (the 32 sender threads)

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        return (
            f"{self.name:24} {self.rps:8.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms"
            f"   server CPU {self.cpu_ms:5.2f} ms/req"
            f" (database {self.cpu_db / len(self.latencies) * 1000:4.2f})"
            f"   senders {self.cpu_senders / len(self.latencies) * 1000:4.2f} ms/req"
            f"   statuses {dict(sorted(self.statuses.items()))}"
        )

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.latencies) * 1000

    @property
    def p99(self) -> float:
        lat = sorted(self.latencies)
        return lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000


# --- database ---------------------------------------------------------------------------------


def _postgres_base() -> str:
    configured = os.environ.get("BENCH_POSTGRES_URL", "")
    if configured:
        return configured
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return database_url
    return "postgres://postgres@127.0.0.1:5432/postgres"


def _admin(base: str) -> psycopg2.extensions.connection | None:
    """An autocommit connection to the server's maintenance database, or None if unreachable."""
    import psycopg2

    parts = urllib.parse.urlsplit(base)
    try:
        conn = psycopg2.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=urllib.parse.unquote(parts.username or "postgres"),
            password=urllib.parse.unquote(parts.password or "") or None,
            dbname="postgres",
            connect_timeout=3,
        )
    except psycopg2.OperationalError:
        return None
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def throwaway_database() -> Iterator[tuple[str, str, Callable[[], list[int]]]]:
    """(DATABASE_URL, description, its server processes) of a new empty database, dropped on
    exit. The processes are PostgreSQL's backends serving it (none for SQLite)."""
    base = _postgres_base()
    admin = _admin(base)
    if admin is None:
        with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
            yield (
                f"sqlite:///{tmp}/hub.sqlite3",
                f"SQLite file (no PostgreSQL reachable at {urllib.parse.urlsplit(base).netloc})",
                list,
            )
        return
    name = f"hub_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(base)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}", query=""))

    def backends() -> list[int]:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])
            return [pid for (pid,) in cursor.fetchall()]

    try:
        yield url, f"PostgreSQL (throw-away database {name})", backends
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# --- server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(database_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.serve_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "HUB_WEB_WORKERS": str(WORKERS),
    }
    env.pop("HUB_Q_SYNC", None)
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], port: int, *, root: Path = ROOT
) -> Iterator[tuple[list[str], int]]:
    """gunicorn as the web role runs it, serving the checkout at `root` (bench/serve_compare.py
    passes an older one): (its argv, the master's pid)."""
    from django.conf import settings

    from hub.ops.processes import web_role

    argv = web_role(
        bind="127.0.0.1", port=port, workers=WORKERS, threads=settings.HUB_WEB_THREADS
    ).argv
    argv[argv.index("--chdir") + 1] = str(root)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(  # noqa: S603
        argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
    )
    try:
        _wait_ready(port, proc, log)
        yield argv, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _wait_ready(port: int, proc: subprocess.Popen, log: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)  # type: ignore[attr-defined]
            raise SystemExit(f"gunicorn exited:\n{log.read().decode()[-3000:]}")  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn never became ready")


# --- senders ----------------------------------------------------------------------------------


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc; 0 elsewhere)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _drive(
    port: int,
    side: Side,
    count: int,
    *,
    record: bool,
    web: Callable[[], list[int]] = list,
    database: Callable[[], list[int]] = list,
) -> None:
    """CLIENTS threads send `count` requests in all, one connection per request."""
    batch = side.requests(count)
    lock = threading.Lock()
    cursor = iter(batch)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def sender() -> None:
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            body, headers = item
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", side.url, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                status = 0  # refused or reset: counted, shown in the statuses
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    web_pids, db_pids = web(), database()
    web_before, db_before = _cpu_seconds(web_pids), _cpu_seconds(db_pids)
    senders_before = time.process_time()
    began = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    took = time.perf_counter() - began
    senders = time.process_time() - senders_before
    # Processes that appeared meanwhile (a new database connection) count from their start.
    db_cpu = _cpu_seconds(list(set(database()) | set(db_pids))) - db_before
    cpu = _cpu_seconds(list(set(web()) | set(web_pids))) - web_before + db_cpu
    if record:
        side.latencies += latencies
        side.seconds += took
        side.cpu += cpu
        side.cpu_db += db_cpu
        side.cpu_senders += senders
        for status, n in statuses.items():
            side.statuses[status] = side.statuses.get(status, 0) + n


def _bare(count: int) -> list[tuple[bytes, dict[str, str]]]:
    return [(INBOUND_BODY, {"Content-Type": "application/json"})] * count


def _standard(secret: str) -> Callable[[int], list[tuple[bytes, dict[str, str]]]]:
    from standardwebhooks import Webhook

    hook = Webhook(secret)
    text = INBOUND_BODY.decode()

    def build(count: int) -> list[tuple[bytes, dict[str, str]]]:
        now = datetime.now(tz=UTC)  # signed just before the round: well inside the window
        out = []
        for _ in range(count):
            msg_id = f"msg_{uuid.uuid4().hex}"
            headers = {
                "Content-Type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": hook.sign(msg_id, now, text),
            }
            out.append((INBOUND_BODY, headers))
        return out

    return build


def _emit(token: str) -> Callable[[int], list[tuple[bytes, dict[str, str]]]]:
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    counter = iter(range(1, 10**9))

    def build(count: int) -> list[tuple[bytes, dict[str, str]]]:
        return [
            (
                json.dumps(
                    {
                        "model": "bench.order",
                        "event": "create",
                        "record_id": (i := next(counter)),
                        "data": {"id": i, "total": 120.5, "state": "sale"},
                    }
                ).encode(),
                headers,
            )
            for _ in range(count)
        ]

    return build


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    broker = "Redis" if os.environ.get("REDIS_URL") else "ORM"
    with throwaway_database() as (database_url, described, backends):
        env = _env(database_url)
        _manage(env, "manage.py", "migrate", "--noinput", "-v", "0")
        seeded = json.loads(_manage(env, "-m", "bench.serve_seed", "seed").strip().splitlines()[-1])
        port = _free_port()
        sides = [
            Side("bare view (200)", "/bench/bare/", _bare),
            Side("inbound standard (202)", seeded["path"], _standard(seeded["secret"])),
            Side("emit (202)", "/api/emit/", _emit(seeded["token"])),
        ]
        try:
            with gunicorn(env, port) as (argv, master):

                def web() -> list[int]:
                    return [master, *_children(master)]

                for side in sides:
                    _drive(port, side, WARMUP, record=False, web=web, database=backends)
                for _ in range(ROUNDS):
                    for side in sides:
                        _drive(port, side, REQUESTS, record=True, web=web, database=backends)
        finally:
            if broker == "Redis":
                _manage(env, "-m", "bench.serve_seed", "purge")
    _report(sides, described, broker, argv)


def _report(sides: list[Side], described: str, broker: str, argv: list[str]) -> None:
    threads = argv[argv.index("--threads") + 1]
    print(
        f"{described}; {broker} broker; gunicorn {WORKERS} workers x {threads} threads "
        f"(the web role's settings, DEBUG off); {CLIENTS} senders, new connection per request; "
        f"{ROUNDS} rounds x {REQUESTS} requests per URL"
    )
    for side in sides:
        print(side.line())
    bare = sides[0]
    for side, key in ((sides[1], "inbound"), (sides[2], "emit")):
        ratio = side.rps / bare.rps
        want_ratio, want_p99 = TARGETS[key]
        ok = ratio >= want_ratio and (want_p99 is None or side.p99 <= want_p99)
        target = f">= {want_ratio}x" + (f", p99 <= {want_p99:g} ms" if want_p99 else "")
        print(
            f"ratio {key}/bare: {ratio:.2f} (target {target}: {'met' if ok else 'NOT met'}); "
            f"server CPU per request {key}/bare: {side.cpu_ms / bare.cpu_ms:.1f}x"
        )
    # Every process shares the machine: the senders, gunicorn, PostgreSQL and anything else.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (busy machines compress ratios)")
