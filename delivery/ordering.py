"""Ordered rules: FIFO per (rule, record). A delivery waits while an older one is unfinished.

"Older" means an earlier event (EventHistory id) for the same rule and record. "Unfinished"
means a pending log or a retry entry still `pending`/`retrying`; dead letters (`exhausted`,
`cancelled`) no longer hold the line. A waiting log is *parked*: it stays `pending`, keeps its
claim and says why in `error`; when the older delivery finishes, the next parked log is
released and queued. That hand-over can be lost (the older delivery finished between the
younger one's check and its parking), so the lost-task sweep also releases, every minute, each
parked log whose line is clear: a lost hand-over costs at most a minute, never a stall.
"""

from __future__ import annotations

from datetime import datetime

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
        queue.enqueue_on_commit([first])


def release_unblocked(*, limit: int = 200) -> list[int]:
    """Release parked logs that nothing older holds any more (lost hand-overs); returns ids."""
    parked = WebhookLog.objects.filter(status=LogStatus.PENDING, error=PARKED).order_by("id")
    freed = [
        log.pk
        for log in parked[:limit]
        if not blocked(log)
        # Conditional: a concurrent release() or sweep may have taken it already.
        and WebhookLog.objects.filter(pk=log.pk, error=PARKED).update(claimed_at=None, error="")
    ]
    queue.enqueue(freed)
    return freed
