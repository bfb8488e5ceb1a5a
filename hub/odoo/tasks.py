"""django-q2 entry points for the Odoo connector: they carry ids and call one service."""

from __future__ import annotations

from django_q.tasks import async_task

from hub.odoo import services


def dispatch_polls() -> int:
    """Every minute: enqueue one poll per active connection whose poll is due."""
    claimed = services.claim_due_connections()
    for connection_id in claimed:
        async_task("hub.odoo.tasks.poll_connection", connection_id, group="odoo-poll")
    return len(claimed)


def poll_connection(connection_id: int) -> str:
    results = services.poll_connection(connection_id=connection_id)
    return "; ".join(f"hook {r.hook_id}: {r.summary()}" for r in results)


def poll_hooks(hook_ids: list[int]) -> str:
    results = services.poll_hooks(hook_ids=hook_ids)
    return "; ".join(f"hook {r.hook_id}: {r.summary()}" for r in results)


def backfill_hooks(hook_ids: list[int]) -> str:
    results = services.poll_hooks(hook_ids=hook_ids, backfill=True)
    return "; ".join(f"hook {r.hook_id}: {r.summary()}" for r in results)
