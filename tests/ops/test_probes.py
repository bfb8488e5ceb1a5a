"""/healthz and /readyz: unauthenticated, cheap, 503 naming the failing check, never a 500."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from hub.ops import health


def test_healthz_answers_without_touching_the_database():
    # No django_db mark: pytest-django fails any database access in this test.
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@override_settings(REDIS_URL="")
def test_readyz_is_ok_when_the_database_is_migrated_and_no_broker_is_configured():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": "ok", "migrations": "ok"},
    }


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_is_a_closed_port(closed_port):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port}/0"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"] == "unreachable"
    assert str(closed_port) not in response.content.decode()  # no addresses to strangers


@pytest.mark.django_db
def test_readyz_names_unapplied_migrations(monkeypatch):
    monkeypatch.setattr(health, "_migrations_passed", False)
    # A real unapplied migration: forget the newest one of an app (rolled back after the test).
    recorder = MigrationRecorder(connection)
    app, name = max(MigrationLoader(connection).graph.leaf_nodes())
    recorder.record_unapplied(app, name)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "1 not applied (manage.py migrate)"


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["hub.example.com"])
def test_probes_answer_a_host_outside_allowed_hosts():
    # Orchestrators probe by IP address; the admin would answer 400 to the same Host.
    client = Client(HTTP_HOST="10.1.2.3:8000")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/admin/login/").status_code == 400


@pytest.mark.django_db
def test_readyz_with_a_trailing_slash_and_head_requests_work():
    assert Client().get("/readyz/").status_code == 200
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_readyz_checks_a_configured_broker():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
