"""The deployed stack: PostgreSQL + Redis broker + a real ``qcluster`` with 2 workers.

Started here on a throw-away PostgreSQL database (created and dropped by the bench), with a fast
asyncio receiver in its own process (``bench/receiver.py``) and events recorded by another
process (``bench/produce.py``) with the production settings (DEBUG off). Scenarios:

- throughput: 3,000 events recorded in batches of 50, one rule (lane limit 50, as many in
  flight as the baseline); deliveries/s from the first event recorded to the last log
  committed, against aiohttp with 50 requests in flight to the same receiver. Target >= 0.3x.
- isolation: another rule's p99 latency (event to receiver) at 20 events/s, while a 10-second
  endpoint gets the same events and a dead endpoint (refused port) holds 1,000 queued
  deliveries, against the same run with neither. Target <= 1.5x.
- steady: 100 events/s through ``POST /api/emit/`` (gunicorn, 2 x 4 threads) for
  ``BENCH_STEADY_SECONDS`` (30); p50 / p99 from emit to receiver. Targets 50 / 250 ms.
- soak: 20 events/s to three rules (fast, 30 % failing, 300 ms) for ``BENCH_SOAK_SECONDS``
  (default 600, the issue's 10 minutes); the pending backlog over time, and whether every
  delivery was made, waiting for the drain up to ``BENCH_SOAK_DRAIN`` (600 s) after the load.
- memory: the largest RSS of any cluster process while it drains a 20,000-delivery backlog
  (``BENCH_BACKLOG``). Target <= 150 MB per worker.

Needs ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``; skipped otherwise. ``BENCH_STACK`` picks
scenarios (comma separated). Run: ``python -m bench stack``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SCENARIOS = ("throughput", "isolation", "steady", "soak", "memory")


def _env(database_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="hub.settings",
        DJANGO_DEBUG="0",  # DEBUG keeps every query in memory: not how it runs deployed
        DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex,
        HUB_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        HUB_ALLOW_PRIVATE_TARGETS="1",
        HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION="1",
        HUB_Q_WORKERS="2",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


class Stack:
    def __init__(self, database_url: str, receiver: str) -> None:
        import psycopg2

        self.env = _env(database_url)
        self.receiver = receiver
        self.db = psycopg2.connect(database_url)
        self.db.autocommit = True
        self.procs: dict[str, subprocess.Popen] = {}

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with self.db.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    def shell(self, code: str) -> str:
        done = subprocess.run(
            [PY, "manage.py", "shell", "-c", code],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(done.stderr[-2000:])
        return done.stdout

    def produce(self, *args: object) -> str:
        """Run the producer; its last line (what it achieved)."""
        done = subprocess.run(
            [PY, "-m", "bench.produce", *map(str, args)],
            cwd=ROOT, env=self.env, check=True, timeout=3600, capture_output=True, text=True,
        )  # fmt: skip
        return (done.stdout.strip().splitlines() or [""])[-1]

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def start_cluster(self) -> subprocess.Popen:
        proc = self.start("cluster", PY, "manage.py", "qcluster", "--skip-checks")
        time.sleep(3)  # the workers fork and connect
        return proc

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        self.db.close()

    def rule(self, name: str, url: str, model: str = "res.partner", **lane: Any) -> int:
        fields = {k: v for k, v in lane.items() if k in {"timeout", "retry_initial_delay"}}
        lane = {k: v for k, v in lane.items() if k not in fields}
        out = self.shell(
            "from rules.models import WebhookEvent, WebhookRule\n"
            "from delivery.models import Lane\n"
            f"r = WebhookRule.objects.create(name={name!r}, model={model!r}, url={url!r}, "
            f"max_retries=20, **{fields!r})\n"
            "r.events.set([WebhookEvent.objects.get(code='write')])\n"
            f"Lane.objects.create(rule=r, **{lane!r})\n"
            "print('RULE', r.pk)\n"
        )
        return int(out.split("RULE")[1].split()[0])

    def count(self, status: str, rule_id: int | None = None) -> int:
        extra = "" if rule_id is None else f" AND rule_id = {int(rule_id)}"
        query = f"SELECT count(*) FROM delivery_webhooklog WHERE status = %s{extra}"
        return self.sql(query, status)[0][0]

    def wait_for(self, status: str, count: int, timeout: float, rule_id: int | None = None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(status, rule_id) >= count:
                return True
            time.sleep(0.1)
        return False

    def stats(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.receiver}/stats", timeout=10) as response:
            return json.loads(response.read()).get(path, {"count": 0})

    def reset_receiver(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.receiver}/reset", method="POST"), timeout=10
        ).read()


@contextlib.contextmanager
def _database(base_url: str) -> Iterator[str]:
    import psycopg2

    name = f"bench_stack_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(base_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlsplit(base_url)._replace(path=f"/{name}").geturl()
    try:
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def _receiver() -> Iterator[str]:
    proc = subprocess.Popen(
        [PY, "-m", "bench.receiver"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def stack() -> Iterator[Stack]:
    base = os.environ["DATABASE_URL"]
    with _database(base) as database_url, _receiver() as receiver:
        s = Stack(database_url, receiver)
        try:
            subprocess.run(
                [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT, env=s.env, check=True, timeout=300,
            )  # fmt: skip
            s.shell("from django_q.brokers import get_broker; get_broker().purge_queue()")
            yield s
        finally:
            s.close()


async def _aiohttp(url: str, count: int, in_flight: int = 50) -> float:
    body = json.dumps({"id": "x" * 36, "type": "res.partner.write", "data": {"n": 1}}).encode()
    async with aiohttp.ClientSession() as session:
        gate = asyncio.Semaphore(in_flight)

        async def one() -> None:
            async with gate, session.post(url, data=body) as response:
                await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return count / (time.perf_counter() - started)


# --- scenarios ------------------------------------------------------------------------------


def throughput(s: Stack, events: int = 3000) -> None:
    rule = s.rule("throughput", f"{s.receiver}/tp", max_in_flight=50)
    cluster = s.start_cluster()
    meter = _CpuMeter(s, cluster.pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    s.produce("batch", events, 50)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    delivered = s.wait_for("success", events, 300, rule)
    cpu = meter.stop()
    if not delivered:
        raise SystemExit(f"throughput: only {s.count('success', rule)} of {events} delivered")
    cpu["producer"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    first, last = s.sql(
        "SELECT (SELECT min(created_at) FROM hub_eventhistory), "
        "(SELECT max(sent_at) FROM delivery_webhooklog)"
    )[0]
    hub = events / (last - first).total_seconds()
    s.stop("cluster")
    base = asyncio.run(_aiohttp(f"{s.receiver}/base", events))
    stats = s.stats("/tp")
    print(f"throughput: hub {hub:7.0f} deliveries/s ({events} events, batches of 50, 2 workers)")
    print(f"throughput: aiohttp, 50 in flight {base:7.0f} POST/s")
    print(f"throughput: ratio hub / aiohttp {hub / base:5.2f} (target >= 0.3)")
    print(f"throughput: receiver saw {stats['count']} requests, {stats['distinct']} webhook-ids")
    shares = ", ".join(f"{name} {1000 * sec / events:.2f}" for name, sec in cpu.items())
    total = 1000 * sum(cpu.values()) / events
    load = os.getloadavg()[0]
    print(f"throughput: CPU ms per delivery: {shares} (total {total:.2f}; load {load:.1f})")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _CpuMeter:
    """CPU spent by the cluster's processes, the bench database's PostgreSQL backends (started
    after this, less the bench's own connection) and the receiver, sampled every 0.2 s (a
    process's last sample counts: a backend that exits loses at most 0.2 s of its CPU)."""

    def __init__(self, s: Stack, cluster: int) -> None:
        import threading

        self.cluster = cluster
        self.dbname = s.sql("SELECT current_database()")[0][0]
        self.own = s.sql("SELECT pg_backend_pid()")[0][0]
        self.url = s.env["DATABASE_URL"]
        self.receiver = [
            pid for pid in _descendants(os.getpid()) if b"bench.receiver" in _cmdline(pid)
        ]
        self.start = {pid: _cpu_seconds(pid) or 0.0 for pid in self._pids("receiver")}
        self.seen: dict[tuple[str, int], float] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _pids(self, group: str, cur: Any = None) -> list[int]:
        if group == "cluster":
            return _descendants(self.cluster)
        if group == "receiver":
            return self.receiver
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.dbname],
        )
        return [pid for (pid,) in cur.fetchall() if pid != self.own]

    def _run(self) -> None:
        import psycopg2

        db = psycopg2.connect(self.url)
        db.autocommit = True
        self.own_meter = db.get_backend_pid()
        with db.cursor() as cur:
            while not self.done.wait(0.2):
                for group in ("cluster", "postgres", "receiver"):
                    for pid in self._pids(group, cur):
                        if (value := _cpu_seconds(pid)) is not None:
                            self.seen[(group, pid)] = value
        db.close()

    def stop(self) -> dict[str, float]:
        self.done.set()
        self.thread.join(10)
        out: dict[str, float] = {"cluster": 0.0, "postgres": 0.0, "receiver": 0.0}
        for (group, pid), value in self.seen.items():
            if group == "postgres" and pid == getattr(self, "own_meter", None):
                continue
            out[group] += value - self.start.get(pid, 0.0)
        return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _other_p(s: Stack, seconds: float) -> dict[str, Any]:
    s.reset_receiver()
    s.produce("pace", 20, seconds)
    time.sleep(2)  # the last ones arrive
    return s.stats("/other")


def isolation(s: Stack, seconds: float = 15) -> None:
    s.rule("other", f"{s.receiver}/other?lat=1")
    s.start_cluster()
    calm = _other_p(s, seconds)
    s.rule("slow", f"{s.receiver}/slow?ms=10000", timeout=15)
    dead = s.rule("dead", "http://127.0.0.1:9/dead", model="dead.thing")
    s.produce("batch", 1000, 50, "dead.thing")
    trouble = _other_p(s, seconds)
    waiting = s.count("pending", dead)
    print(
        f"isolation: other rule alone           p50 {calm['p50']:7.0f} ms  "
        f"p99 {calm['p99']:7.0f} ms"
    )
    print(
        f"isolation: with 10-s and dead lanes   p50 {trouble['p50']:7.0f} ms  "
        f"p99 {trouble['p99']:7.0f} ms ({waiting} deliveries waiting for the dead endpoint)"
    )
    print(f"isolation: ratio p99 {trouble['p99'] / calm['p99']:5.2f} (target <= 1.5)")


def steady(s: Stack) -> None:
    seconds = float(os.environ.get("BENCH_STEADY_SECONDS", "30"))
    s.rule("steady", f"{s.receiver}/steady?lat=1")
    token = (
        s.shell(
            "from django.contrib.auth import get_user_model\n"
            "from rest_framework.authtoken.models import Token\n"
            "u = get_user_model().objects.create_superuser(\n"
            "    'bench', 'b@example.com', 'pw-bench-123456')\n"
            "print('TOKEN', Token.objects.create(user=u).key)\n"
        )
        .split("TOKEN")[1]
        .split()[0]
    )
    port = 18000 + os.getpid() % 1000
    s.start(
        "web", PY, "-m", "gunicorn", "hub.wsgi", "-w", "2", "--threads", "4",
        "-b", f"127.0.0.1:{port}", "--log-level", "warning",
    )  # fmt: skip
    s.start_cluster()
    # The achieved rate matters: an emit slower than 10 ms of CPU cannot keep 100/s on 2 cores,
    # and a producer that falls behind measures a lighter load than asked.
    achieved = s.produce("emit", 100, seconds, f"http://127.0.0.1:{port}", token)
    time.sleep(3)
    stats = s.stats("/steady")
    code = "from django_q.brokers import get_broker; print('QUEUED', get_broker().queue_size())"
    queued = s.shell(code).split("QUEUED")[1].split()[0]
    # Where the time went, from the stored timestamps: emit -> the delivery recorded (the
    # planning hop, hub.events / hub.unplanned), -> claimed by a sender, -> its answer recorded.
    hops = s.sql(
        "SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY "
        "extract(epoch FROM l.created_at - e.created_at)), "
        "percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY "
        "extract(epoch FROM l.claimed_at - l.created_at)), "
        "percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY "
        "extract(epoch FROM l.sent_at - l.claimed_at)) "
        "FROM delivery_webhooklog l JOIN hub_eventhistory e ON e.id = l.event_id "
        "WHERE l.status = 'success'"
    )[0]
    plan, claim, send = ([1000 * float(v) for v in hop or (0, 0)] for hop in hops)
    print(
        f"steady: emit stored -> delivery recorded p50 {plan[0]:.0f} / p99 {plan[1]:.0f} ms; "
        f"-> claimed p50 {claim[0]:.0f} / p99 {claim[1]:.0f} ms; "
        f"-> answer recorded p50 {send[0]:.0f} / p99 {send[1]:.0f} ms"
    )
    tasks = s.sql(
        "SELECT func, count(*), sum(extract(epoch FROM stopped - started)) "
        "FROM django_q_task GROUP BY func ORDER BY 3 DESC LIMIT 4"
    )
    busy = "; ".join(f"{func.rsplit('.', 2)[-2:]} {n} ({b:.0f} s)" for func, n, b in tasks)
    print(f"steady: tasks run (count, busy), the busiest: {busy}; load {os.getloadavg()[0]:.1f}")
    print(
        f"steady 100/s via /api/emit/ for {seconds:.0f} s: {stats['count']} delivered, "
        f"p50 {stats['p50']:.0f} ms, p99 {stats['p99']:.0f} ms (targets 50 / 250 ms); "
        f"{queued} tasks still queued 3 s after the load; producer: {achieved}"
    )


def soak(s: Stack) -> None:
    """The flaky rule is set up as an integrator would for a flaky endpoint: retry after 5 s,
    never wait more than a minute (`retry_max_interval`), 20 attempts. A retry still waits for
    the next retry sweep (every minute), so the unluckiest delivery (8 or 9 attempts at 30 %
    failures among 12,000) needs several minutes after the load: the bench waits for the drain
    up to ``BENCH_SOAK_DRAIN`` seconds (default 600) and prints what is left."""
    seconds = float(os.environ.get("BENCH_SOAK_SECONDS", "600"))
    drain = float(os.environ.get("BENCH_SOAK_DRAIN", "600"))
    names = ("fast", "flaky", "slow300")
    rules = [
        s.rule("fast", f"{s.receiver}/fast"),
        s.rule("flaky", f"{s.receiver}/flaky?fail=0.3", retry_initial_delay=5),
        s.rule("slow300", f"{s.receiver}/slow300?ms=300"),
    ]
    s.sql("UPDATE rules_webhookrule SET retry_max_interval = 60 WHERE id = %s", rules[1])
    s.start_cluster()
    producer = subprocess.Popen(
        [PY, "-m", "bench.produce", "pace", "20", str(seconds)],
        cwd=ROOT, env=s.env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    started = time.monotonic()
    samples: list[tuple[float, int, int]] = []  # (seconds, pending logs, retries waiting)
    loads: list[float] = []
    while producer.poll() is None:
        time.sleep(min(10.0, seconds / 10))
        samples.append((time.monotonic() - started, s.count("pending"), _waiting(s)))
        loads.append(os.getloadavg()[0])
    load_end = time.monotonic()
    events = s.sql("SELECT count(*) FROM hub_eventhistory")[0][0]
    at_end = [s.count("success", r) for r in rules]
    drained_after: float | None = None
    while time.monotonic() - load_end < drain:
        if all(s.count("success", r) >= events for r in rules):
            drained_after = time.monotonic() - load_end
            break
        time.sleep(5)
    final = [s.count("success", r) for r in rules]
    pending = [p for _, p, _ in samples]
    steady = samples[len(samples) // 5 :]  # past the first minute or two of warm-up
    slope = _slope([(t, p + w) for t, p, w in steady])
    print(
        f"soak 20/s x 3 rules for {seconds:.0f} s: {events} events recorded in "
        f"{load_end - started:.0f} s ({events / (load_end - started):.1f}/s); load average "
        f"(1 min) {min(loads):.1f}-{max(loads):.1f} during the load"
    )
    print(f"soak: pending deliveries sampled every {samples[0][0]:.0f} s: {pending}")
    print(f"soak: retries waiting (backoff) sampled: {[w for _, _, w in samples]}")
    print(
        f"soak: backlog (pending + retries waiting) trend after warm-up {slope:+.3f}/s "
        f"(before the lanes: +46/s); max pending {max(pending)}"
    )
    for name, rule, end, done in zip(names, rules, at_end, final, strict=True):
        waiting = s.sql(
            "SELECT count(*) FROM delivery_webhookretry "
            "WHERE rule_id = %s AND state IN ('pending', 'retrying')",
            rule,
        )[0][0]
        most = s.sql("SELECT max(attempt) FROM delivery_webhooklog WHERE rule_id = %s", rule)[0][0]
        dead = s.sql(
            "SELECT count(*) FROM delivery_webhookretry WHERE rule_id = %s AND state = 'exhausted'",
            rule,
        )[0][0]
        attempts = s.count("success", rule) + s.count("failed", rule)
        print(
            f"soak: {name:8} delivered {end} of {events} at the end of the load, {done} by the "
            f"end of the drain; left {events - done} ({waiting} retry entries waiting), "
            f"{dead} dead letters, {attempts} attempts, at most {most} for one delivery"
        )
    verdict = (
        f"all delivered {drained_after:.0f} s after the load"
        if drained_after is not None
        else f"NOT all delivered within {drain:.0f} s after the load"
    )
    print(f"soak: {verdict} (retry sweep every minute; flaky rule: 5 s doubling, cap 60 s)")


def _waiting(s: Stack) -> int:
    query = "SELECT count(*) FROM delivery_webhookretry WHERE state = 'pending'"
    return s.sql(query)[0][0]


def _slope(points: list[tuple[float, int]]) -> float:
    """Least-squares slope (per second) of (time, value) points."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread if spread else 0.0


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def memory(s: Stack) -> None:
    backlog = int(os.environ.get("BENCH_BACKLOG", "20000"))
    rule = s.rule("backlog", f"{s.receiver}/mem", paused=True)
    s.produce("batch", backlog, 500)
    cluster = s.start_cluster()
    started = time.monotonic()
    s.sql("UPDATE delivery_lane SET paused = false WHERE rule_id = %s", rule)
    s.shell(f"from delivery import lanes; lanes._kick([{rule}])")
    peak: dict[int, int] = {}
    while s.count("success", rule) < backlog and time.monotonic() - started < 900:
        for pid in _descendants(cluster.pid):
            peak[pid] = max(peak.get(pid, 0), _rss_kb(pid))
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    done = s.count("success", rule)
    top = sorted(peak.values(), reverse=True)
    print(
        f"memory: drained {done} of {backlog} in {elapsed:.0f} s ({done / elapsed:.0f}/s); "
        f"RSS per cluster process, largest first: {[round(kb / 1024) for kb in top]} MB "
        "(target <= 150 MB per worker)"
    )


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("skipped: needs DATABASE_URL=postgres://... and REDIS_URL (the deployed stack)")
        return
    wanted = [w for w in os.environ.get("BENCH_STACK", ",".join(SCENARIOS)).split(",") if w]
    for name in wanted:
        with stack() as s:
            globals()[name](s)


if __name__ == "__main__":
    from bench.__main__ import main as run_benches

    sys.argv = [sys.argv[0], "stack"]
    sys.exit(run_benches())
