"""Readiness checks: database reachable, migrations applied, broker reachable (when configured).

Cheap enough for a probe every second: the database check is one `SELECT 1`, the broker check
one PING with a one-second timeout, and the migrations check (loading the migration graph) runs
only until it has passed once in this process - migrations are applied before a release starts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 1.0  # seconds: a probe must answer quickly even when the broker hangs


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""  # a short, public reason (no host names, no raw errors)


_migrations_passed = False
_redis_clients: dict[str, redis.Redis] = {}


def check_database() -> Check:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready", never a 500
        logger.warning("readiness: database unreachable: %s", exc)
        return Check("database", False, "unreachable")
    return Check("database", True)


def unapplied_migrations() -> list[str]:
    """`app.migration` names not applied yet on the default database."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def check_migrations() -> Check:
    global _migrations_passed
    if _migrations_passed:
        return Check("migrations", True)
    try:
        pending = unapplied_migrations()
    except Exception as exc:
        logger.warning("readiness: migrations not checked: %s", exc)
        return Check("migrations", False, "not checked")
    if pending:
        return Check("migrations", False, f"{len(pending)} not applied (manage.py migrate)")
    _migrations_passed = True
    return Check("migrations", True)


def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL and process, with short timeouts."""
    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
        )
        _redis_clients[url] = client
    return client


def ping_redis(url: str) -> str:
    """'' when Redis at `url` answers PING, else the error (for logs and the doctor)."""
    try:
        redis_client(url).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return ""


def check_broker() -> Check | None:
    """None when no broker is configured (the queue lives in the database)."""
    if not settings.REDIS_URL:
        return None
    error = ping_redis(settings.REDIS_URL)
    if error:
        logger.warning("readiness: broker unreachable: %s", error)
        return Check("broker", False, "unreachable")
    return Check("broker", True)


def readiness() -> list[Check]:
    database = check_database()
    checks = [database]
    if database.ok:  # without a database the migrations cannot be read: only "database" fails
        checks.append(check_migrations())
    broker = check_broker()
    if broker is not None:
        checks.append(broker)
    return checks
