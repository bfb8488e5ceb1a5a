"""Deletes: Odoo hard-deletes without a tombstone, so known ids are checked against Odoo.

Every snapshot id is looked up with ``search([('id', 'in', chunk)])`` and ``active_test: False``
(archived records still exist); ids Odoo no longer has become ``unlink`` events carrying the
last known values, and their snapshots are removed in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hub.events import NewEvent, record_events
from hub.models import ModelHook, RecordSnapshot
from hub.odoo import state
from hub.odoo.client import OdooClient
from hub.odoo.state import watched_codes

CHUNK = 5000


def missing_ids(client: OdooClient, model: str, known: list[int]) -> list[int]:
    existing: set[int] = set()
    for start in range(0, len(known), CHUNK):
        chunk = known[start : start + CHUNK]
        existing.update(client.search(model, [("id", "in", chunk)], context={"active_test": False}))
    return [rid for rid in known if rid not in existing]


def reconcile(*, hook: ModelHook, client: OdooClient, token: datetime) -> tuple[int, datetime]:
    """Emit unlink for every known record Odoo no longer has: (how many, renewed lease)."""
    known = list(
        RecordSnapshot.objects.filter(hook=hook)
        .order_by("record_id")
        .values_list("record_id", flat=True)
    )
    gone = missing_ids(client, hook.model, known) if known else []
    now = timezone.now()
    with transaction.atomic():
        token = state.renew(hook.pk, token)
        if gone:
            snaps = RecordSnapshot.objects.filter(hook=hook, record_id__in=gone)
            if "unlink" in watched_codes(hook):
                record_events(
                    [
                        NewEvent(
                            model=hook.model,
                            event_code="unlink",
                            record_id=s.record_id,
                            data=s.values,
                            source=hook.connection.name,
                            connection=hook.connection,
                            occurred_at=now,
                        )
                        for s in snaps.order_by("record_id")
                    ]
                )
            snaps.delete()
        ModelHook.objects.filter(pk=hook.pk).update(last_reconcile_at=now)
        hook.last_reconcile_at = now
    return len(gone), token
