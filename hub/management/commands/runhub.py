"""`make run`: migrate, schedules, an admin user, then the web server, workers and Odoo poller."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = (
        "Run the hub for development: web server + django-q2 cluster + Odoo poller; "
        "Ctrl-C stops them all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("HUB_ADDR", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.HUB_PORT)

    def handle(self, *args: Any, addr: str, port: int, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)  # also ensures the schedules
        self._ensure_admin()
        connections.close_all()  # this process only supervises from here: no idle connection
        manage = [sys.executable, "manage.py"]
        # Explicit handlers, set before the children start: a shell starts background jobs
        # with SIGINT ignored, and a child inherits an ignored signal (the web server then
        # ignored the stop and was killed after the grace) but not a handler.
        signal.signal(signal.SIGINT, _raise_interrupt)
        signal.signal(signal.SIGTERM, _raise_interrupt)
        # The children read the port from the environment: the public URL default follows it.
        env = {**os.environ, "HUB_PORT": str(port)}
        # The development server runs a thread per client connection: a persistent database
        # connection per thread would pile up (one per keep-alive client), so it closes its
        # connection after each request. The workers keep theirs (a fixed number of processes).
        web_env = {**env, "DJANGO_CONN_MAX_AGE": "0"}
        # Each child leads its own process group, so stopping reaches the cluster's workers too
        # and nothing is left behind (a terminal's Ctrl-C only reaches the foreground group).
        children = [
            subprocess.Popen(cmd, env=child_env, start_new_session=True)  # noqa: S603
            for cmd, child_env in (
                # This command ran the system checks already: the children skip them, so a
                # warning (the development encryption key) is printed once, not three times.
                ([*manage, "runserver", f"{addr}:{port}", "--noreload", "--skip-checks"], web_env),
                ([*manage, "qcluster", "--skip-checks"], env),
                # The long-running Odoo poller: per-connection intervals down to 1 s, nudges.
                ([*manage, "poll_odoo", "--skip-checks"], env),
            )
        ]
        base = f"http://{addr}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                "\nWebhook hub running (Ctrl-C stops the web server, workers, poller):"
            )
        )
        for label, path in (
            ("Admin", "/admin/"),
            ("Dashboard", "/webhook/dashboard/"),
            ("API", "/api/"),
            ("API docs", "/api/docs/"),
            ("Inbound", "/webhook/incoming/<slug>/"),
            ("Health", "/readyz"),
            ("Odoo push", "/odoo/xmlrpc"),
            ("Odoo nudge", "/odoo/nudge/<token>/ (each connection's page shows its URL)"),
        ):
            self.stdout.write(f"  {label:<10} {base}{path}")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            _stop(children)

    def _ensure_admin(self) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@localhost", password)
        self.stdout.write(
            self.style.WARNING(
                f"Created admin user 'admin' with password: {password}  (shown once)"
            )
        )


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(children: list[subprocess.Popen], grace: float | None = None) -> None:
    """SIGINT to each child's process group; SIGKILL the groups still alive after `grace`."""
    grace = settings.HUB_STOP_GRACE if grace is None else grace
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
    for child in children:
        # The leader may have exited while its workers linger: kill the whole group regardless.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
