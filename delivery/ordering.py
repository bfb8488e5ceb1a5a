"""Ordered rules: FIFO per (rule, record). A delivery waits while an older one is unfinished.

"Older" means an earlier event (EventHistory id) for the same rule and record. "Unfinished"
means a pending log or a retry entry still `pending`/`retrying`; dead letters (`exhausted`,
`cancelled`) no longer hold the line. A waiting log is *parked*: it stays `pending`, keeps its
claim and says why in `error`; when the older delivery finishes, the next parked log is
released and queued. Should that hand-over be lost, the lost-task sweep re-queues the parked
log once its claim goes stale, so the queue only ever waits, it never stalls.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction

from delivery import queue
from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry

PARKED = "waiting for an earlier delivery of this record (ordered rule)"


def blocked(log: WebhookLog) -> bool:
    if log.record_id is None or log.event_id is None:
        return False  # nothing to order by
    older = {"rule_id": log.rule_id, "event_id__lt": log.event_id}
    return (
        WebhookLog.objects.filter(**older, record_id=log.record_id, status=LogStatus.PENDING)
        .exclude(delivery_id=log.delivery_id)
        .exists()
        or WebhookRetry.objects.filter(
            **older,
            event__record_id=log.record_id,
            state__in=[RetryState.PENDING, RetryState.RETRYING],
        ).exists()
    )


def park(log: WebhookLog, *, token: datetime) -> None:
    WebhookLog.objects.filter(pk=log.pk, status=LogStatus.PENDING, claimed_at=token).update(
        error=PARKED
    )


def release(*, rule_id: int | None, record_id: int | None) -> None:
    """The oldest parked log of (rule, record) may go now: unclaim it and queue it on commit."""
    if rule_id is None or record_id is None:
        return
    parked = WebhookLog.objects.filter(
        rule_id=rule_id, record_id=record_id, status=LogStatus.PENDING, error=PARKED
    )
    first = parked.order_by("event_id", "id").values_list("id", flat=True).first()
    # Conditional on still being parked: a log some worker is sending has error "".
    if first and parked.filter(pk=first).update(claimed_at=None, error=""):
        transaction.on_commit(partial(queue.enqueue, [first]), robust=True)
