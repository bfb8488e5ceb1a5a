"""Prompt deletes: one count per poll; known ids are reconciled only when the counts disagree.

Odoo hard-deletes, so a delete shows only as a record missing from Odoo. Every poll compares
``search_count(hook domain)`` (``active_test: False``) with the number of snapshots: a delete
makes Odoo's count drop while the snapshots stay. The two need not be equal (a record that left
the hook's domain keeps its snapshot, so its ``unlink`` can still be reported), so what is
compared is their difference against the one accepted at the last id reconciliation, kept in
the cache (lost on a restart: then the ids are reconciled, which only costs one call per 5000).
The full reconciliation every ``HUB_ODOO_RECONCILE_SECONDS`` stays as a safety net.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache

from hub.models import ModelHook, RecordSnapshot
from hub.odoo.client import OdooClient
from hub.odoo.reconcile import reconcile

ACTIVE_TEST_OFF = {"active_test": False}


def _key(hook_id: int) -> str:
    return f"hub:odoo:count-offset:{hook_id}"


def find_deletes(
    *, hook: ModelHook, client: OdooClient, domain: list, token: datetime, force: bool = False
) -> tuple[int, datetime]:
    """Count, and reconcile ids when the count moved (or `force`): (deletions found, lease)."""
    in_odoo = client.search_count(hook.model, domain, context=ACTIVE_TEST_OFF)
    known = RecordSnapshot.objects.filter(hook=hook).count()
    accepted = cache.get(_key(hook.pk))
    if not force and accepted is not None and known - in_odoo == accepted:
        return 0, token
    deleted, token = reconcile(hook=hook, client=client, token=token)
    cache.set(_key(hook.pk), known - deleted - in_odoo, timeout=None)
    return deleted, token


def forget(hook_id: int) -> None:
    cache.delete(_key(hook_id))
