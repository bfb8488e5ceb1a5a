"""Fixtures for the operations tests: a real closed loopback port, the receiver, the fake Odoo."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: F401
from tests.fakes.receiver import receiver  # noqa: F401
from tests.ops.processes import POSTGRES, admin_connection, database_url_for, free_port


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def own_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A DATABASE_URL for hub processes started by a test module (migrated by them).

    PostgreSQL when DATABASE_URL is one (`<name>_<test module>`, created and dropped here, so the
    server's connection counts can be read for it), otherwise a SQLite file.
    """
    if not POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('hub') / 'hub.sqlite3'}"
        return
    base = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    name = f"{base}_{request.module.__name__.rsplit('.', 1)[-1]}"
    conn = admin_connection()
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield database_url_for(name, os.environ["DATABASE_URL"])
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
