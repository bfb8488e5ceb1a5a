"""`make run`: migrate, schedules, an admin user, then the web server and the workers together."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the hub for development: web server + django-q2 cluster; Ctrl-C stops both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("HUB_ADDR", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_PORT", "8000")))

    def handle(self, *args: Any, addr: str, port: int, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)  # also ensures the schedules
        self._ensure_admin()
        manage = [sys.executable, "manage.py"]
        children = [
            subprocess.Popen([*manage, "runserver", f"{addr}:{port}", "--noreload"]),  # noqa: S603
            subprocess.Popen([*manage, "qcluster"]),  # noqa: S603
        ]
        base = f"http://{addr}:{port}"
        self.stdout.write(
            self.style.SUCCESS("\nWebhook hub running (Ctrl-C stops the web server and workers):")
        )
        for label, path in (
            ("Admin", "/admin/"),
            ("Dashboard", "/webhook/dashboard/"),
            ("API", "/api/"),
            ("API docs", "/api/docs/"),
            ("Inbound", "/webhook/incoming/<slug>/"),
            ("Odoo push", "/odoo/xmlrpc"),
        ):
            self.stdout.write(f"  {label:<10} {base}{path}")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

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
