"""Exact echo suppression: the hub records each write it makes to Odoo; the poller drops exactly it.

A write is recorded in two steps so a poll running at the same moment cannot emit it: before the
call a *pending* row (no write_date yet; no record id for a create) makes the poller skip the
record for now (not stored, so the next poll's overlap reads it again); after the call the values
are read back with the ``write_date`` Odoo stored. An observation is then an echo only when it
is the same record with the same ``write_date``, every written field still has the value read
back, and no other tracked field changed since the last snapshot. Anything else - another user,
or the connection's own user working in the Odoo UI - is emitted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Protocol

from django.db.models import Q
from django.utils import timezone

from hub.odoo.errors import OdooError
from hub.odoo.fields import comparable, diff
from hub.odoo.models import OdooEcho

logger = logging.getLogger(__name__)
ECHO, PENDING = "echo", "pending"
# A write in flight this long is a crashed writer: its pending row no longer holds records back.
PENDING_SECONDS = 60
# Echo rows are kept a day: far longer than any poll overlap, so the per-record trace can still
# show which observation was suppressed; older rows are purged on the next write.
KEEP = timedelta(days=1)


class Reader(Protocol):
    def read(
        self, model: str, ids: Iterable[int], fields: Iterable[str], *, context: dict | None = None
    ) -> list[dict[str, Any]]: ...


class Recorder:
    """Bound to one connection; the client calls it around create and write."""

    def __init__(self, connection_id: int) -> None:
        self.connection_id = connection_id

    def before(self, model: str, ids: list[int] | None) -> list[int]:
        """Pending rows (one per id, or one without id for a create); their pks."""
        OdooEcho.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        targets: list[int | None] = [*ids] if ids is not None else [None]
        rows = [
            OdooEcho(connection_id=self.connection_id, model=model, record_id=rid)
            for rid in targets
        ]
        return [row.pk for row in OdooEcho.objects.bulk_create(rows)]

    def failed(self, pending: list[int]) -> None:
        OdooEcho.objects.filter(pk__in=pending).delete()

    def after(
        self,
        client: Reader,
        pending: list[int],
        *,
        model: str,
        ids: list[int],
        values: dict[str, Any],
    ) -> None:
        """Read back what was written (and its write_date) onto the pending rows."""
        try:
            rows = client.read(model, ids, [*values, "write_date"])
        except OdooError as exc:
            # The write itself succeeded: never fail it for the read-back; it may echo once.
            logger.warning("echo record of %s %s not read back: %s", model, ids, exc)
            self.failed(pending)
            return
        found = {row["id"]: row for row in rows}
        echoes = OdooEcho.objects.filter(pk__in=pending).order_by("pk")
        for echo, rid in zip(echoes, ids, strict=False):
            row = found.get(rid)
            if row is None:
                echo.delete()
                continue
            echo.record_id, echo.write_date = rid, row.get("write_date") or ""
            echo.values = {name: row[name] for name in values if name in row}
            echo.save(update_fields=["record_id", "write_date", "values"])


def is_echo(
    echo: OdooEcho,
    row: dict[str, Any],
    snap_values: dict[str, Any] | None,
    *,
    tracked: Iterable[str],
) -> bool:
    """Pure: this observation is exactly the recorded write (see the module docstring)."""
    if not echo.write_date or echo.write_date != (row.get("write_date") or ""):
        return False
    if any(
        name in row and comparable(row[name]) != comparable(value)
        for name, value in echo.values.items()
    ):
        return False
    if snap_values is None:
        return True  # a create: what the hub wrote is all there is to know
    return set(diff(snap_values, row, tracked)) <= set(echo.values)


def classify(
    *,
    connection_id: int,
    model: str,
    rows: list[dict[str, Any]],
    snaps: dict[int, Any],
    tracked: Iterable[str],
) -> dict[int, str]:
    """{record id: ECHO or PENDING} for the rows the hub wrote itself; suppressions are marked."""
    ids = [row["id"] for row in rows]
    if not ids:
        return {}
    now = timezone.now()
    recent = Q(write_date="", created_at__gte=now - timedelta(seconds=PENDING_SECONDS))
    echoes = list(
        OdooEcho.objects.filter(
            connection_id=connection_id, model=model, created_at__gte=now - KEEP
        )
        .filter(Q(record_id__in=ids) | Q(record_id__isnull=True) & recent)
        .order_by("-pk")
    )
    if not echoes:
        return {}
    tracked = list(tracked)
    pending_create = any(e.record_id is None and not e.write_date for e in echoes)
    found: dict[int, str] = {}
    suppressed: list[int] = []
    for row in rows:
        snap = snaps.get(row["id"])
        mine = [e for e in echoes if e.record_id == row["id"]]
        if any(
            not e.write_date and e.created_at >= now - timedelta(seconds=PENDING_SECONDS)
            for e in mine
        ) or (snap is None and pending_create):
            found[row["id"]] = PENDING
            continue
        values = getattr(snap, "values", None)
        match = next((e for e in mine if is_echo(e, row, values, tracked=tracked)), None)
        if match is not None:
            found[row["id"]] = ECHO
            suppressed.append(match.pk)
    if suppressed:
        OdooEcho.objects.filter(pk__in=suppressed, suppressed_at__isnull=True).update(
            suppressed_at=now
        )
    return found


ADMIN_UIDS = {1, 2}  # OdooBot and the admin created with every database
ADMIN_LOGINS = {"admin", "__system__"}


def same_user_warning(*, mode: str, uid: int | None, username: str) -> str:
    """The admin's warning when "same_user" would hide every change the people behind the
    connection's Odoo user make (typically: connected as admin)."""
    if mode != "same_user":
        return ""
    who = f"uid {uid}" if uid else f"login {username!r}"
    shared = (uid in ADMIN_UIDS) or (username or "").strip().lower() in ADMIN_LOGINS
    reason = "the admin account, which people use" if shared else "the connection's user"
    return (
        f"Every change made in Odoo as {who} ({reason}) is hidden from this hook, not only "
        "the hub's own writes. Use 'Exact' unless that user is reserved for the hub."
    )
