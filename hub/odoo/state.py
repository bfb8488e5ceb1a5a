"""Connection and hook state: poll leases, success/failure bookkeeping, backoff, the probe.

A hook lease is a conditional UPDATE on ``locked_until`` (correct with any number of workers on
PostgreSQL or SQLite, no long-held row lock); its value doubles as the holder's token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from hub.crypto import generate_token, token_hash
from hub.lib.backoff import next_delay
from hub.odoo.client import (
    OdooAccessDenied,
    OdooAuthError,
    OdooBadResponse,
    OdooClient,
    OdooError,
    OdooProtocolError,
    OdooUnavailable,
)
from hub.odoo.models import STANDARD_EVENTS, ModelHook, OdooConnection

logger = logging.getLogger(__name__)
TRANSPORT_LABELS = {"xmlrpc": "XML-RPC", "json2": "JSON-2"}
LEASE_SECONDS = 300
MAX_BACKOFF_SECONDS = 3600


class LeaseLost(Exception):
    """Another worker took the hook over (our lease expired): stop without committing."""


def acquire(hook_id: int, *, seconds: int = LEASE_SECONDS) -> datetime | None:
    now = timezone.now()
    token = now + timedelta(seconds=seconds)
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    taken = ModelHook.objects.filter(free, pk=hook_id).update(locked_until=token)
    return token if taken else None


def renew(hook_id: int, token: datetime, *, seconds: int = LEASE_SECONDS) -> datetime:
    new = max(timezone.now() + timedelta(seconds=seconds), token + timedelta(microseconds=1))
    if not ModelHook.objects.filter(pk=hook_id, locked_until=token).update(locked_until=new):
        raise LeaseLost(f"hook {hook_id}: poll lease lost")
    return new


def release(hook_id: int, token: datetime, **fields: Any) -> None:
    """Free the lease; `fields` are written in the same statement, only while it is ours."""
    ModelHook.objects.filter(pk=hook_id, locked_until=token).update(locked_until=None, **fields)


def watched_codes(hook: ModelHook) -> set[str]:
    """The event codes a hook emits (none chosen = every standard one)."""
    return set(hook.events or STANDARD_EVENTS)


# --- error classification ------------------------------------------------------------------------
def is_connection_error(exc: OdooError) -> bool:
    """Errors that concern the whole connection (stop polling its hooks, back off)."""
    return isinstance(exc, OdooUnavailable | OdooAccessDenied | OdooProtocolError)


def describe_error(exc: BaseException) -> str:
    """One line for the admin: never a traceback."""
    if isinstance(exc, OdooAuthError):
        return f"Login failed: {exc.message}"
    if isinstance(exc, OdooAccessDenied):
        return f"Access denied by Odoo (check the password or API key): {exc.message}"
    if isinstance(exc, OdooUnavailable):
        return f"Odoo unavailable: {exc.message}"
    if isinstance(exc, OdooBadResponse):
        return f"Unreadable answer from Odoo (retried later): {exc.message}"
    if isinstance(exc, OdooError):
        label = {1: "Odoo server error", 2: "Odoo refused", 4: "Odoo access error"}
        return f"{label.get(exc.code or 0, 'Odoo error')}: {exc.message}"
    return f"Internal error ({type(exc).__name__}); see the worker log"


def record_connection_failure(conn: OdooConnection, exc: BaseException) -> None:
    now = timezone.now()
    failures = conn.consecutive_failures + 1
    # The shared formula without jitter: interval x 2^failures, capped at an hour (or the
    # interval when that is longer).
    delay = int(
        next_delay(
            attempt=failures + 1,
            initial=max(conn.poll_interval, 1),
            multiplier=2,
            cap=max(MAX_BACKOFF_SECONDS, conn.poll_interval),
            jitter=0,
        )
    )
    message = describe_error(exc)
    OdooConnection.objects.filter(pk=conn.pk).update(
        last_error=message,
        last_error_at=now,
        consecutive_failures=failures,
        next_poll_at=now + timedelta(seconds=delay),
    )
    conn.last_error, conn.last_error_at, conn.consecutive_failures = message, now, failures
    logger.warning("odoo connection %s: %s (retry in %ss)", conn.name, message, delay)


def record_connection_success(
    conn: OdooConnection, *, uid: int | None, transport: str = ""
) -> None:
    now = timezone.now()
    fields = {
        "last_poll_at": now,
        "consecutive_failures": 0,
        "last_error": "",
        "next_poll_at": now + timedelta(seconds=conn.poll_interval),
    }
    if uid and uid != conn.uid:
        fields["uid"] = uid
    if transport and transport != conn.transport:
        fields["transport"] = transport  # e.g. a connection stored before the field existed
    OdooConnection.objects.filter(pk=conn.pk).update(**fields)
    for name, value in fields.items():
        setattr(conn, name, value)


def result_fields(*, result: str = "", error: str = "") -> dict[str, Any]:
    """The hook's columns that show a poll's outcome in the admin."""
    fields: dict[str, Any] = {"last_poll_at": timezone.now(), "last_error": error}
    if result:
        fields["last_result"] = result[:255]
    return fields


def record_hook_result(hook: ModelHook, *, result: str = "", error: str = "") -> None:
    fields = result_fields(result=result, error=error)
    ModelHook.objects.filter(pk=hook.pk).update(**fields)
    for name, value in fields.items():
        setattr(hook, name, value)


# --- the probe ("Test connection") ------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    ok: bool
    version: str = ""
    uid: int | None = None
    error: str = ""
    transport: str = ""  # "xmlrpc" or "json2"

    @property
    def transport_label(self) -> str:
        return TRANSPORT_LABELS.get(self.transport, self.transport)


def identify(conn: OdooConnection, client: OdooClient) -> Probe:
    """version() + login, stored on the connection with the transport used. Raises OdooError."""
    info = client.version()
    version = str(info.get("server_version") or "")
    uid = client.authenticate()
    transport = client.transport_name
    OdooConnection.objects.filter(pk=conn.pk).update(version=version, uid=uid, transport=transport)
    conn.version, conn.uid, conn.transport = version, uid, transport
    return Probe(ok=True, version=version, uid=uid, transport=transport)


def probe_connection(*, connection_id: int) -> Probe:
    """ "Test connection": the version and uid, or the clear error (shown on the connection too;
    the poll schedule and its backoff are left alone)."""
    conn = OdooConnection.objects.get(pk=connection_id)
    try:
        with OdooClient.for_connection(conn, redetect=True) as client:
            probe = identify(conn, client)
    except OdooError as exc:
        message = describe_error(exc)
        OdooConnection.objects.filter(pk=conn.pk).update(
            last_error=message, last_error_at=timezone.now()
        )
        return Probe(ok=False, error=message)
    OdooConnection.objects.filter(pk=conn.pk).update(last_error="")
    return probe


def issue_push_token(*, connection_id: int) -> str:
    """A new push token for the connection: returned once, only its hash is stored."""
    token = "odoo_" + generate_token(32)
    OdooConnection.objects.filter(pk=connection_id).update(push_token_hash=token_hash(token))
    return token
