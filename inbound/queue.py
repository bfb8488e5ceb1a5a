"""Queue the processing of accepted inbound requests on django-q2: ids only, never raises."""

from __future__ import annotations

from hub.lib import queue

TASK = "inbound.tasks.process_incoming"
BATCH_TASK = "inbound.tasks.process_incoming_batch"


def enqueue_on_commit(incoming_id: int) -> None:
    """Queue the handler run once the row is committed. Never raises: when the broker is down
    the row stays "received" and the sweep queues it again (hub.lib.queue)."""
    queue.enqueue_on_commit(TASK, incoming_id, task_name=f"inbound-{incoming_id}")


def enqueue_now(incoming_ids: list[int]) -> None:
    """Queue these requests at once: one task for one id, one batch task for several."""
    if len(incoming_ids) == 1:
        queue.enqueue(TASK, incoming_ids[0], task_name=f"inbound-{incoming_ids[0]}")
    else:
        queue.enqueue(BATCH_TASK, incoming_ids, task_name=f"inbound-{incoming_ids[0]}+")
