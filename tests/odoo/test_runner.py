"""The long-running poller (manage.py poll_odoo without --once): it outlives Odoo's failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from hub.models import EventHistory, ModelHook, OdooConnection
from hub.odoo import runner

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def make_due() -> None:
    """As if the connection's interval (or its backoff) had passed."""
    OdooConnection.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_the_long_running_poller_survives_an_odoo_outage_and_loses_nothing(odoo_conn, fake_odoo):
    OdooConnection.objects.filter(pk=odoo_conn.pk).update(poll_interval=1, timeout=1)
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    ModelHook.objects.create(connection=odoo_conn, model="res.partner", tracked_fields=["email"])
    errors: list[str] = []

    def change_email() -> None:
        fake_odoo.tick(5)
        fake_odoo.write("res.partner", pid, {"email": "b@x.org"})

    def proxy_page() -> None:
        fake_odoo.set_up()
        fake_odoo.raw_response = b"<html>proxy</html>"

    def refuse() -> None:
        fake_odoo.raw_response = None
        fake_odoo.set_down("refuse")

    script = [
        change_email,
        lambda: fake_odoo.set_down("500"),
        lambda: fake_odoo.set_down("hang"),  # a timeout
        proxy_page,
        refuse,
        fake_odoo.set_up,
    ]
    steps: list[float] = []

    def sleep(seconds: float) -> None:
        steps.append(seconds)
        conn = OdooConnection.objects.get()
        if conn.consecutive_failures:
            errors.append(conn.last_error)
        if len(steps) <= len(script):
            script[len(steps) - 1]()
        make_due()

    runner.run(stop=lambda: len(steps) > len(script), sleep=sleep)

    assert len(errors) == 4 and all("\n" not in e for e in errors)
    assert errors[0].startswith("Odoo unavailable: HTTP 500")
    assert "did not answer" in errors[1] and "Unreadable answer" in errors[2]
    assert "Connection refused" in errors[3]
    assert EventHistory.objects.get().changes == {
        "email": {"before": "a@example.com", "after": "b@x.org"}
    }
    conn = OdooConnection.objects.get()
    assert (conn.last_error, conn.consecutive_failures) == ("", 0)


def test_sigterm_stops_the_long_running_poller(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_DEBUG": "1",  # development settings: no production key checks
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)  # noqa: S603
    proc = subprocess.Popen(  # noqa: S603
        [*manage, "poll_odoo"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().startswith("polling Odoo")  # looping now
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert out.strip().endswith("stopped")
