"""`make run` (manage.py runhub): the port reaches the URLs, the development server's database
connections do not pile up per thread, and a stop signal ends it quickly even as a shell
background job (SIGINT ignored)."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.ops.processes import connection_bound
from tests.ops.processes import (
    POSTGRES,
    ROOT,
    Running,
    alive,
    connections_to,
    descendants,
    free_port,
    get,
    running,
    wait_until_ready,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
KEEP_ALIVE_CLIENTS = 20


def development_env(database_url: str) -> dict[str, str]:
    from tests.ops.processes import production_env

    env = production_env(database_url, DJANGO_DEBUG="1", HUB_Q_WORKERS="1")
    env.pop("HUB_PORT", None)
    return env


def ignore_sigint() -> None:
    # What a shell does to a background job (`make run &`): the cause of the 17-second stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Hub:
    def __init__(self, run: Running, port: int, env: dict[str, str]) -> None:
        self.run, self.port, self.env = run, port, env
        self.base = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def hub(own_database: str) -> Iterator[Hub]:
    port = free_port()
    env = development_env(own_database)
    with running(["runhub", "--port", str(port)], env, preexec_fn=ignore_sigint) as run:
        wait_until_ready(f"http://127.0.0.1:{port}", run)
        run.wait_for_line("Q Cluster")
        yield Hub(run, port, env)


def test_the_port_option_reaches_the_printed_urls_and_the_api_url_fields(hub):
    setup = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from inbound.models import InboundSource
InboundSource.objects.create(name="shop")
user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-1234567")
print("TOKEN", Token.objects.create(user=user).key)
"""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", setup],
        cwd=ROOT, env=hub.env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    (token,) = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("TOKEN")]
    assert f"{hub.base}/admin/" in hub.run.output
    status, body = get(f"{hub.base}/api/sources/", headers={"Authorization": f"Token {token}"})
    assert status == 200
    (source,) = json.loads(body)["results"]
    assert source["url"].startswith(f"{hub.base}/webhook/incoming/")


@pytest.mark.skipif(not POSTGRES, reason="pg_stat_activity needs PostgreSQL")
def test_keep_alive_clients_do_not_each_hold_a_database_connection(hub):
    dbname = urllib.parse.urlsplit(hub.env["DATABASE_URL"]).path.lstrip("/")
    clients = [
        http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
        for _ in range(KEEP_ALIVE_CLIENTS)
    ]
    try:
        for client in clients:
            # An API request with a (wrong) token: a database query, and a response with a
            # Content-Length, so the development server keeps the connection (and its thread).
            client.request("GET", "/api/rules/", headers={"Authorization": "Token nope"})
            response = client.getresponse()
            response.read()
            assert response.status == 401
            assert response.getheader("Connection", "").lower() != "close"
        held = connections_to(dbname)
    finally:
        for client in clients:
            client.close()
    # runhub itself (it migrated) + the workers and the Odoo poller; the web server holds none
    # between requests.
    bound = sum(connection_bound(["workers", "poller"]).values())
    assert held <= 1 + bound < KEEP_ALIVE_CLIENTS


def test_a_stop_signal_ends_every_process_quickly_even_with_sigint_ignored(hub):
    spawned = descendants(hub.run.proc.pid)
    assert len(spawned) >= 4  # runserver, qcluster and its processes, poll_odoo
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in spawned]
    assert any(b"poll_odoo" in argv for argv in commands), "the Odoo poller runs too"
    assert hub.run.stop(signal.SIGTERM, timeout=10)  # it took 17 s before
    assert [pid for pid in spawned if alive(pid)] == []


def test_hub_port_sets_the_default_public_url_unless_it_is_given(own_database):
    code = "from django.conf import settings; print(settings.HUB_PUBLIC_URL)"
    env = {**development_env(own_database), "HUB_PORT": "9123"}

    def public_url(**extra: str) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.strip().splitlines()[-1]

    assert public_url() == "http://127.0.0.1:9123"
    assert public_url(HUB_PUBLIC_URL="https://hub.example.com") == "https://hub.example.com"
