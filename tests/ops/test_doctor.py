"""`manage.py doctor`: one line per problem with its fix, non-zero exit on errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from hub.models import OdooConnection

pytestmark = pytest.mark.django_db

# A configuration the deploy checks accept (tests run with the development secret key and
# loopback targets allowed).
SAFE = {
    "SECRET_KEY": "k" * 20 + "-a-long-random-test-secret-key-0123456789",
    "HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION": True,
}


def doctor() -> tuple[str, bool]:
    """The doctor's output and whether it failed (exit code non-zero)."""
    out = StringIO()
    try:
        call_command("doctor", stdout=out, no_color=True)
    except CommandError as exc:
        return out.getvalue() + f"\n{exc}", True
    return out.getvalue(), False


def line_of(output: str, check: str) -> str:
    (line,) = [line for line in output.splitlines() if f" {check}:" in line]
    return line


@override_settings(**SAFE)
def test_a_healthy_setup_passes(receiver):
    with override_settings(HUB_PUBLIC_URL=receiver.url):
        output, failed = doctor()
    assert not failed, output
    assert line_of(output, "database").startswith("OK")
    assert line_of(output, "broker").startswith("OK")
    assert line_of(output, "public url").startswith("OK")
    assert receiver.requests[0].method == "HEAD"
    assert receiver.requests[0].path == "/healthz"


@override_settings(**SAFE)
def test_a_broken_broker_is_an_error_with_its_fix(receiver, closed_port):
    url = f"redis://:hunter2@127.0.0.1:{closed_port}/0"
    with override_settings(REDIS_URL=url, HUB_PUBLIC_URL=receiver.url):
        output, failed = doctor()
    assert failed
    line = line_of(output, "broker")
    assert line.startswith("ERROR")
    assert f"Redis at redis://127.0.0.1:{closed_port}/0 unreachable" in line
    assert "-> start Redis or correct REDIS_URL" in line
    assert "hunter2" not in output  # the password never reaches the output


@override_settings(**SAFE)
def test_a_wrong_odoo_url_is_an_error_naming_the_connection(receiver, closed_port):
    OdooConnection.objects.create(
        name="prod", url=f"http://127.0.0.1:{closed_port}", database="d", username="u",
        password="p", timeout=2,
    )  # fmt: skip
    with override_settings(HUB_PUBLIC_URL=receiver.url):
        output, failed = doctor()
    assert failed
    line = line_of(output, "odoo prod")
    assert line.startswith("ERROR")
    assert f"127.0.0.1:{closed_port}" in line
    assert "-> check the URL, database and credentials" in line


@override_settings(**SAFE)
def test_a_reachable_odoo_reports_its_version_login_and_clock_skew(receiver, odoo_conn):
    with override_settings(HUB_PUBLIC_URL=receiver.url):
        output, failed = doctor()
    assert not failed, output
    line = line_of(output, f"odoo {odoo_conn.name}")
    assert line.startswith("OK")
    assert "Odoo 17.0" in line
    assert "login ok" in line
    assert "clock skew" in line


@override_settings(**SAFE)
def test_the_public_url_not_answering_is_an_error(closed_port):
    with override_settings(HUB_PUBLIC_URL=f"http://127.0.0.1:{closed_port}"):
        output, failed = doctor()
    assert failed
    assert line_of(output, "public url").startswith("ERROR")


def test_a_queue_timeout_not_below_its_retry_is_an_error(receiver, settings):
    # Only the settings fixture here: mixed with override_settings it would restore the wrong
    # snapshot at teardown.
    for name, safe_value in SAFE.items():
        setattr(settings, name, safe_value)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300, "retry": 180}
    settings.HUB_PUBLIC_URL = receiver.url
    output, failed = doctor()
    assert failed
    assert line_of(output, "queue").startswith("ERROR")
    assert "timeout 300 s is not below retry 180 s" in line_of(output, "queue")


def test_unsafe_settings_are_deploy_check_errors(receiver, settings):
    settings.HUB_PUBLIC_URL = receiver.url
    output, failed = doctor()  # tests allow private targets without the production override
    assert failed, output
    assert line_of(output, "hub.E004").startswith("ERROR")
    assert "HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION=1" in line_of(output, "hub.E004")
