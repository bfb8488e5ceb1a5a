"""The production process set: what each role runs, how it is stopped, and a small supervisor.

Roles: ``web`` (gunicorn on hub.wsgi), ``workers`` (django-q2 ``qcluster``), ``poller``
(``poll_odoo``). Each child leads its own process group, so a stop reaches its own children
(gunicorn and qcluster workers) and a terminal's Ctrl-C reaches only the supervisor, which
forwards it as each child's polite stop signal and kills what is left after the grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

ROLES = ("web", "workers", "poller")
POLL_SECONDS = 0.2  # how often the supervisor looks at its children


@dataclass(frozen=True)
class Role:
    name: str
    argv: list[str]
    stop_signal: int  # the polite stop this program understands
    env: dict[str, str] = field(default_factory=dict)


def manage_py() -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py")]


def web_role(*, bind: str, port: int, workers: int, threads: int) -> Role:
    host = f"[{bind}]" if ":" in bind else bind
    # gunicorn's graceful timeout: in-flight requests get this long, inside the supervisor's
    # grace, before the master kills its workers.
    graceful = max(1, int(settings.HUB_STOP_GRACE) - 1)
    argv = [
        sys.executable, "-m", "gunicorn", "hub.wsgi:application",
        "--chdir", str(settings.BASE_DIR),
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--timeout", str(settings.HUB_WEB_TIMEOUT),
        "--graceful-timeout", str(graceful),
        "--access-logfile", "-",
        # Unused here, and one fixed path per user would collide between two hubs on a host.
        "--no-control-socket",
    ]  # fmt: skip
    return Role("web", argv, signal.SIGTERM)


def roles_for(names: list[str], *, bind: str, port: int) -> list[Role]:
    """The roles to run, in a fixed order (web first: it is the one others wait for)."""
    built = {
        "web": lambda: web_role(
            bind=bind,
            port=port,
            workers=settings.HUB_WEB_WORKERS,
            threads=settings.HUB_WEB_THREADS,
        ),
        # qcluster stops on SIGTERM after its workers finish their current task; a task
        # still running after the grace is killed and its delivery re-sent by the sweep.
        "workers": lambda: Role("workers", [*manage_py(), "qcluster"], signal.SIGTERM),
        # poll_odoo stops on KeyboardInterrupt; an interrupted poll rolls back its transaction.
        "poller": lambda: Role("poller", [*manage_py(), "poll_odoo"], signal.SIGINT),
    }
    return [built[name]() for name in ROLES if name in names]


def connection_bound(names: list[str]) -> dict[str, int]:
    """Most database connections each role holds (persistent connections: one per thread).

    web: gunicorn workers x threads (gthread keeps a fixed pool of threads), plus each worker's
    inbound writer thread (inbound.writer, PostgreSQL with Redis); workers: one per
    django-q2 worker plus its monitor, pusher and scheduler (sentinel) processes; poller: one.
    """
    bounds = {
        "web": settings.HUB_WEB_WORKERS * (settings.HUB_WEB_THREADS + 1),
        "workers": int(settings.Q_CLUSTER.get("workers", 1)) + 3,
        "poller": 1,
    }
    return {name: bounds[name] for name in ROLES if name in names}


class Supervisor:
    """Starts the roles, waits for a stop signal or a child's exit, then stops them all."""

    def __init__(self, roles: list[Role], *, grace: float, log: Callable[[str], None]) -> None:
        self.roles = roles
        self.grace = grace
        self.log = log
        self.children: list[tuple[Role, subprocess.Popen]] = []
        self.stopping = False

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        # Handlers before the children start: a child inherits an ignored SIGINT (a shell's
        # background job) but not a handler, so the children keep their default stop.
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        exit_code = 0
        try:
            for role in self.roles:
                env = {**os.environ, **role.env}
                child = subprocess.Popen(role.argv, env=env, start_new_session=True)  # noqa: S603
                self.children.append((role, child))
                self.log(f"{role.name}: started (pid {child.pid})")
            while not self.stopping:
                ended = [(role, child) for role, child in self.children if child.poll() is not None]
                if ended:
                    role, child = ended[0]
                    self.log(f"{role.name} exited with code {child.returncode}: stopping the rest")
                    exit_code = 1
                    break
                time.sleep(POLL_SECONDS)
        finally:
            self.stop()
        return exit_code

    def stop(self) -> None:
        for role, child in self.children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, role.stop_signal)
        deadline = time.monotonic() + self.grace
        for _, child in self.children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
        for role, child in self.children:
            # The leader may be gone while its workers linger: the whole group, regardless.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            self.log(f"{role.name}: stopped")
