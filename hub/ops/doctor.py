"""`manage.py doctor`: the system checks (deploy included) plus live checks of the moving parts.

Each finding is one line: what is wrong and how to fix it. Live checks: database, migrations,
broker, django-q2 timeouts, the database connection budget, every active Odoo connection
(version, login, clock skew) and the public URL (HEAD /healthz).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.core import checks as django_checks
from django.db import DEFAULT_DB_ALIAS, connections

from hub.lib import http
from hub.lib.errors import summary_line
from hub.ops import health
from hub.ops.processes import ROLES, connection_bound

OK, WARNING, ERROR = "ok", "warning", "error"
SKEW_WARNING = 30  # seconds; the poller's write_date overlap (HUB_ODOO_POLL_OVERLAP) is the limit
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Finding:
    level: str
    check: str
    message: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.level.upper():<7} {self.check}: {self.message}"
        return f"{text} -> {self.fix}" if self.fix else text


def redacted(url: str) -> str:
    """A URL without its user and password (REDIS_URL, DATABASE_URL may carry them)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# Django's deploy checks, fixed through this project's environment variables.
DJANGO_FIXES = {
    "security.W004": "set DJANGO_SECURE_HSTS_SECONDS=31536000 once HTTPS works everywhere",
    "security.W008": "set DJANGO_SECURE_SSL_REDIRECT=1, or redirect to HTTPS at the proxy",
    "security.W009": "set DJANGO_SECRET_KEY to 50+ random characters",
    "security.W012": "set DJANGO_SECURE_COOKIES=1 (the site is served over HTTPS)",
    "security.W016": "set DJANGO_SECURE_COOKIES=1 (the site is served over HTTPS)",
    "security.W018": "set DJANGO_DEBUG=0",
    "security.W020": "set DJANGO_ALLOWED_HOSTS to the host names users reach",
}


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def system_checks() -> list[Finding]:
    messages = django_checks.run_checks(include_deployment_checks=True)
    findings = []
    for message in messages:
        if message.level < django_checks.WARNING:
            continue
        level = ERROR if message.is_serious() else WARNING
        fix = DJANGO_FIXES.get(message.id or "") or " ".join((message.hint or "").split())
        findings.append(
            Finding(level, message.id or "check", first_sentence(str(message.msg)), fix)
        )
    return findings


def database() -> list[Finding]:
    conn = connections[DEFAULT_DB_ALIAS]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        vendor = f"{conn.display_name} {'.'.join(map(str, conn.get_database_version()))}"
    except Exception as exc:
        return [Finding(ERROR, "database", f"unreachable: {_one_line(exc)}", "check DATABASE_URL")]
    findings = [Finding(OK, "database", f"{vendor} reachable")]
    pending = health.unapplied_migrations()
    if pending:
        findings.append(
            Finding(
                ERROR,
                "migrations",
                f"{len(pending)} not applied ({', '.join(pending[:3])}...)",
                "run manage.py migrate",
            )
        )
    else:
        findings.append(Finding(OK, "migrations", "all applied"))
    return findings


def broker() -> list[Finding]:
    if not settings.REDIS_URL:
        return [Finding(OK, "broker", "none: the task queue lives in the database (ORM broker)")]
    where = redacted(settings.REDIS_URL)
    error = health.ping_redis(settings.REDIS_URL)
    if error:
        return [
            Finding(
                ERROR,
                "broker",
                f"Redis at {where} unreachable: {_one_line(error)}",
                "start Redis or correct REDIS_URL (unset it to queue in the database)",
            )
        ]
    return [Finding(OK, "broker", f"Redis at {where} answers")]


def queue_timeouts() -> list[Finding]:
    timeout, retry = settings.Q_CLUSTER.get("timeout"), settings.Q_CLUSTER.get("retry")
    if timeout is not None and retry is not None and timeout >= retry:
        return [
            Finding(
                ERROR,
                "queue",
                f"Q_CLUSTER timeout {timeout} s is not below retry {retry} s",
                "keep timeout < retry, or a slow task runs twice",
            )
        ]
    return [Finding(OK, "queue", f"task timeout {timeout} s < retry {retry} s")]


def connection_budget() -> list[Finding]:
    conn = connections[DEFAULT_DB_ALIAS]
    max_age = conn.settings_dict.get("CONN_MAX_AGE", 0)
    if conn.vendor != "postgresql":
        return [Finding(OK, "connections", f"{conn.vendor}: no server connection limit")]
    bounds = connection_bound(list(ROLES))
    need = sum(bounds.values())
    detail = ", ".join(f"{name} {n}" for name, n in bounds.items())
    if max_age is None:
        return [
            Finding(
                WARNING,
                "connections",
                "CONN_MAX_AGE is unlimited: connections are never recycled",
                "set DJANGO_CONN_MAX_AGE to a number of seconds (default 600)",
            )
        ]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            limit = int(cursor.fetchone()[0])
    except Exception as exc:
        return [Finding(WARNING, "connections", f"max_connections not read: {_one_line(exc)}")]
    text = (
        f"one process set holds at most {need} connections ({detail}; CONN_MAX_AGE {max_age}), "
        f"PostgreSQL allows {limit}"
    )
    if need > limit - 3:  # superuser_reserved_connections defaults to 3
        fix = "lower HUB_WEB_WORKERS/HUB_WEB_THREADS/HUB_Q_WORKERS or raise max_connections"
        return [Finding(ERROR, "connections", text, fix)]
    if need * 2 > limit:
        fix = "a second node of the same size would exceed it: plan max_connections or a pooler"
        return [Finding(WARNING, "connections", text, fix)]
    return [Finding(OK, "connections", text)]


def clock_skew(url: str) -> float | None:
    """Seconds the server's clock (its HTTP Date header) is ahead of ours; None if unknown."""
    started = time.time()
    result = http.send(method="HEAD", url=url, timeout=PROBE_TIMEOUT, allow_private=True)
    date = result.header("Date")
    if not date:
        return None
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None
    return server - (started + time.time()) / 2


def odoo_connection(conn: object) -> Finding:
    from hub.odoo.client import OdooClient, OdooError

    name = f"odoo {conn.name}"  # type: ignore[attr-defined]
    try:
        with OdooClient.for_connection(conn, redetect=True) as client:  # type: ignore[arg-type]
            version = str(client.version().get("server_version") or "?")
            client.authenticate()
    except OdooError as exc:
        return Finding(
            ERROR,
            name,
            _one_line(exc),
            "check the URL, database and credentials of this connection in the admin",
        )
    skew = clock_skew(conn.url)  # type: ignore[attr-defined]
    text = f"Odoo {version} at {redacted(conn.url)}, login ok"  # type: ignore[attr-defined]
    if skew is None:
        return Finding(OK, name, f"{text}, clock skew unknown (no Date header)")
    text += f", clock skew {skew:+.0f} s"
    if abs(skew) > settings.HUB_ODOO_POLL_OVERLAP:
        fix = "synchronise the clocks (NTP): changes can be missed beyond HUB_ODOO_POLL_OVERLAP"
        return Finding(ERROR, name, text, fix)
    if abs(skew) > SKEW_WARNING:
        return Finding(WARNING, name, text, "synchronise the clocks (NTP)")
    return Finding(OK, name, text)


def odoo_connections() -> list[Finding]:
    from hub.models import OdooConnection

    active = list(OdooConnection.objects.filter(active=True))
    if not active:
        return [Finding(OK, "odoo", "no active Odoo connection")]
    return [odoo_connection(conn) for conn in active]


def public_url() -> list[Finding]:
    url = settings.HUB_PUBLIC_URL.rstrip("/") + "/healthz"
    result = http.send(method="HEAD", url=url, timeout=PROBE_TIMEOUT, allow_private=True)
    if result.status == 200:
        return [Finding(OK, "public url", f"{redacted(url)} answers")]
    reason = summary_line(result.error) if result.error else f"HTTP {result.status}"
    return [
        Finding(
            ERROR,
            "public url",
            f"{redacted(url)} not reachable: {_one_line(reason)}",
            "start the web role, or set HUB_PUBLIC_URL to the address users reach (the proxy)",
        )
    ]


def _one_line(value: object, limit: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


LIVE_CHECKS: tuple[Callable[[], list[Finding]], ...] = (
    database,
    broker,
    queue_timeouts,
    connection_budget,
    odoo_connections,
    public_url,
)


def run(
    *, checks: Iterable[Callable[[], list[Finding]]] = (system_checks, *LIVE_CHECKS)
) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check())
        except Exception as exc:  # one broken check must not hide the others
            findings.append(Finding(ERROR, check.__name__, f"check crashed: {_one_line(exc)}"))
    return findings
