"""Queue the connector's work on django-q2 (ids only); each returns the task id, or None when
the broker refused it (hub.lib.queue logs it; the poll dispatcher queues due polls again)."""

from __future__ import annotations

from hub.lib import queue


def poll_connection(connection_id: int) -> str | None:
    return queue.enqueue("hub.odoo.tasks.poll_connection", connection_id, group="odoo-poll")


def poll_hooks(hook_ids: list[int]) -> str | None:
    return queue.enqueue("hub.odoo.tasks.poll_hooks", hook_ids, group="odoo-poll")


def backfill_hooks(hook_ids: list[int]) -> str | None:
    return queue.enqueue("hub.odoo.tasks.backfill_hooks", hook_ids, group="odoo-backfill")
