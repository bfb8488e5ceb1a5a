"""Helpers for tests that run the hub's commands as real processes (serve, runhub)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg2.extensions

ROOT = Path(__file__).resolve().parents[2]
KEY = "zMK4-gYOuUGKhSvyD-YCx0mt9hGgQzim6KMkkkisyqk="
SECRET = "ops-test-secret-key-" + "x7Qp2Lm9" * 6


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """Safe production settings on a given database, loopback targets explicitly allowed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "HUB_ENCRYPTION_KEYS": KEY,
        "DATABASE_URL": database_url,
        "HUB_WEB_WORKERS": "2",
        "HUB_WEB_THREADS": "4",
        "HUB_Q_WORKERS": "1",
        # Longer than the tests' 10 s wait: a process that ends within the wait stopped on its
        # own polite signal, not by the supervisor's kill after the grace.
        "HUB_STOP_GRACE": "30",
        "HUB_ALLOW_PRIVATE_TARGETS": "1",
        "HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HUB_PUBLIC_URL", None)
    env.update(extra)
    return env


class Running:
    """A started command whose combined output is collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str], **popen: Any) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            **popen,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"never printed {text!r}:\n{self.output[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> bool:
        """Send `sig`; True when the process exited within `timeout` (a functional bound)."""
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """Kill the command and every process under it (its children lead their own groups,
        so killing the supervisor alone would leave them running)."""
        if self.proc.poll() is None:
            tree = descendants(self.proc.pid)  # before the kill: orphans are not found after
            self.proc.kill()
            self.proc.wait()
            for pid in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@contextmanager
def running(args: list[str], env: dict[str, str], **popen: object) -> Iterator[Running]:
    run = Running(args, env, **popen)
    try:
        yield run
    finally:
        run.kill()


def get(
    url: str, *, headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_until_ready(base: str, run: Running, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.proc.poll() is not None:
            raise AssertionError(f"exited with {run.proc.returncode}:\n{run.output[-3000:]}")
        try:
            if get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"never ready:\n{run.output[-3000:]}")


def free_port() -> int:
    """A loopback port nothing listens on (bound then released: connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def database_url_for(name: str, base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus text exposition, by name and labels (None when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def admin_connection() -> psycopg2.extensions.connection:
    """A connection to the PostgreSQL server of DATABASE_URL (its `postgres` database)."""
    import psycopg2

    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password or None, dbname="postgres",
    )  # fmt: skip
    conn.autocommit = True
    return conn


def connections_to(dbname: str) -> int:
    with admin_connection() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [dbname])
        return cursor.fetchone()[0]
