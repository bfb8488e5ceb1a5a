"""Periodic sweeps: start due retries; re-queue pending deliveries whose task was lost."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from delivery import lanes, ordering, queue, retries
from delivery.models import Lane, LogStatus, WebhookLog

# A pending log nobody claimed for this long lost its task (broker lost, or a lane limit kept it
# back and no sender came back for it). A claim whose lease expired lost its worker.
LOST_AFTER = timedelta(minutes=1)
LOST_BATCH = 2000
PER_LANE = 100  # lost logs re-queued per lane and sweep (two tasks)
SWEEP_BUDGET = 30.0  # seconds: a sweep runs every minute, never twice as long


def retry_sweep(*, now: datetime | None = None) -> int:
    """Start every due retry (batch after batch, within a time budget); returns how many."""
    started, total = time.monotonic(), 0
    while time.monotonic() - started < SWEEP_BUDGET:
        claimed = retries.claim_due(now=now)
        total += len(claimed)
        if len(claimed) < retries.RETRY_BATCH:
            break
    return total


def lost_logs(*, now: datetime | None = None, limit: int = LOST_BATCH) -> list[int]:
    """Pending logs no live sender holds, in lanes that may send now (not paused, not waiting
    for an open breaker or a Retry-After): their queue task was lost or their worker died."""
    now = now or timezone.now()
    unclaimed = Q(claimed_at__isnull=True, created_at__lt=now - LOST_AFTER)
    expired = Q(claimed_at__lt=now - lanes.lease())
    waiting = Lane.objects.filter(
        Q(paused=True) | Q(open_until__gt=now) | Q(slow_until__gt=now)
    ).values("rule_id")
    qs = (
        WebhookLog.objects.filter(unclaimed | expired, status=LogStatus.PENDING)
        .exclude(error=ordering.PARKED)
        .exclude(rule_id__in=waiting)
        .order_by("id")
    )
    # A few per lane are enough: the senders they start go on with the rest of the lane. A
    # lane with a big backlog would otherwise get a task per 50 ids every minute.
    per_lane: dict[int | None, int] = {}
    ids = []
    for log_id, rule_id in qs.values_list("id", "rule_id")[:limit]:
        per_lane[rule_id] = per_lane.get(rule_id, 0) + 1
        if per_lane[rule_id] <= PER_LANE:
            ids.append(log_id)
    return ids


def lost_task_sweep(*, now: datetime | None = None) -> int:
    """Re-queue lost deliveries. Safe against duplicates: sending claims each log first."""
    ids = lost_logs(now=now)
    queue.enqueue(ids)
    return len(ids) + len(ordering.release_unblocked())
