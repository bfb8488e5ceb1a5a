"""The production process set as real processes: gunicorn, qcluster and the poller under serve.

Runs against its own database: PostgreSQL when DATABASE_URL is one (`<name>_serve`, created
and dropped here), otherwise a SQLite file. The connection-count test needs PostgreSQL.
"""

from __future__ import annotations

import concurrent.futures
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.processes import (
    POSTGRES,
    ROOT,
    Running,
    alive,
    connections_to,
    descendants,
    free_port,
    get,
    metric_value,
    production_env,
    running,
    wait_until_ready,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

needs_postgres = pytest.mark.skipif(not POSTGRES, reason="pg_stat_activity needs PostgreSQL")
# The bound serve prints for the settings of production_env: web 2 x (4 threads + the inbound
# writer thread), workers 1 + 3, poller 1.
CONNECTION_BOUND = 2 * (4 + 1) + (1 + 3) + 1


class ProcessSet:
    def __init__(self, run: Running, port: int, env: dict[str, str]) -> None:
        self.run, self.port, self.env = run, port, env
        self.base = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def process_set(own_database: str) -> Iterator[ProcessSet]:
    port = free_port()
    env = production_env(own_database, HUB_PORT=str(port))
    with running(["serve", "--migrate"], env) as run:
        wait_until_ready(f"http://127.0.0.1:{port}", run)
        run.wait_for_line("Q Cluster")  # the workers are up too
        yield ProcessSet(run, port, env)


def shell(env: dict[str, str], code: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def metric(text: str, prefix: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_serve_refuses_unsafe_settings_with_one_line_each(own_database):
    env = production_env(own_database, DJANGO_DEBUG="1", DJANGO_SECRET_KEY="")
    env.pop("HUB_ENCRYPTION_KEYS")
    env.pop("HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "serve"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    refusals = [line for line in done.stderr.splitlines() if line.startswith("refusing to start")]
    assert len(refusals) == 4
    for name in ("DEBUG", "DJANGO_SECRET_KEY", "HUB_ENCRYPTION_KEYS", "HUB_ALLOW_PRIVATE_TARGETS"):
        assert sum(name in line for line in refusals) >= 1
    assert "started" not in done.stdout


def test_private_targets_need_the_explicit_production_override(own_database):
    env = production_env(own_database)
    env.pop("HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "serve", "web"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    (refusal,) = [line for line in done.stderr.splitlines() if line.startswith("refusing")]
    assert "HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION=1" in refusal


def test_the_process_set_answers_health_readiness_and_metrics(process_set):
    assert get(f"{process_set.base}/healthz") == (200, '{"status": "ok"}')
    status, body = get(f"{process_set.base}/readyz")
    assert status == 200
    assert json.loads(body)["failing"] == []
    status, body = get(f"{process_set.base}/metrics")
    assert status == 200
    assert "hub_dead_letters 0.0" in body
    assert "gunicorn" in process_set.run.output  # the production web server, not runserver


def test_a_delivery_through_the_process_set_moves_the_metrics_counter(process_set, receiver):
    setup = f"""
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rules.models import WebhookEvent, WebhookRule
user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-1234567")
url = {receiver.url_for("/hook")!r}
rule = WebhookRule.objects.create(name="ops rule", model="res.partner", url=url)
rule.events.set([WebhookEvent.objects.get(code="write")])
print("TOKEN", Token.objects.create(user=user).key)
"""
    (token,) = [
        line.split()[1]
        for line in shell(process_set.env, setup).splitlines()
        if line.startswith("TOKEN")
    ]
    counter = {"name": "hub_delivery_attempts_total", "rule": "ops rule", "outcome": "success"}
    _, before = get(f"{process_set.base}/metrics")
    assert metric_value(before, **counter) is None
    emit = {"model": "res.partner", "event": "write", "record_id": 7, "data": {"id": 7}}
    status, body = get(
        f"{process_set.base}/api/emit/",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        data=json.dumps(emit).encode(),
    )
    assert status == 202, body
    assert json.loads(body)["deliveries"] == 1
    receiver.wait_for(1)  # delivered by the qcluster workers
    for _ in range(100):  # the attempt's log row is written after the response (about 20 s)
        _, after = get(f"{process_set.base}/metrics")
        if metric_value(after, **counter) == 1:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the counter never moved:\n{after}")


@needs_postgres
def test_database_connections_stay_within_the_bound_under_300_concurrent_requests(process_set):
    dbname = urllib.parse.urlsplit(process_set.env["DATABASE_URL"]).path.lstrip("/")
    seen: list[int] = []
    flooding = threading.Event()
    flooding.set()

    def sample() -> None:
        while flooding.is_set():
            seen.append(connections_to(dbname))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    urls = [f"{process_set.base}/readyz", f"{process_set.base}/metrics"]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
            statuses = list(pool.map(lambda i: get(urls[i % 2])[0], range(300)))
    finally:
        flooding.clear()
        sampler.join()
    seen.append(connections_to(dbname))
    assert statuses == [200] * 300
    assert f"database connections at most {CONNECTION_BOUND}" in process_set.run.output
    assert max(seen) <= CONNECTION_BOUND


def test_a_stop_signal_ends_every_process_of_the_set_within_the_grace(process_set):
    spawned = descendants(process_set.run.proc.pid)
    assert len(spawned) >= 5  # gunicorn master + workers, qcluster and its processes, poller
    assert process_set.run.stop(signal.SIGTERM, timeout=10)
    assert process_set.run.proc.returncode == 0
    assert [pid for pid in spawned if alive(pid)] == []


def test_readyz_names_an_unreachable_database_while_healthz_stays_up(closed_port):
    port = free_port()
    database_url = f"postgres://hub@127.0.0.1:{closed_port}/hub"
    with running(["serve", "web"], production_env(database_url, HUB_PORT=str(port))) as run:
        run.wait_for_line("Booting worker")
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # bounded: about 20 s for gunicorn to listen
            try:
                status, body = get(f"{base}/readyz")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(run.output)
        assert status == 503
        assert json.loads(body)["failing"] == ["database"]
        assert get(f"{base}/healthz")[0] == 200
        assert run.stop(signal.SIGTERM, timeout=10)


@pytest.mark.parametrize("role", ["web", "workers", "poller"])
def test_each_role_runs_alone_and_stops_within_the_grace(process_set, role):
    port = free_port()
    env = {**process_set.env, "HUB_PORT": str(port)}
    with running(["serve", role], env) as run:
        run.wait_for_line(f"{role}: started")
        if role == "web":
            wait_until_ready(f"http://127.0.0.1:{port}", run)
        elif role == "workers":
            run.wait_for_line("Q Cluster")
        else:
            time.sleep(1)  # the poller prints nothing until it polls: let it start
        spawned = descendants(run.proc.pid)
        assert spawned
        assert run.stop(signal.SIGTERM, timeout=10)
        assert [pid for pid in spawned if alive(pid)] == []
        assert f"{role}: stopped" in run.output
