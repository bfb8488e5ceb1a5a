"""Periodic sweeps: start due retries; re-queue pending deliveries whose task was lost."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from delivery import ordering, queue, retries
from delivery.models import LogStatus, WebhookLog
from delivery.sending import CLAIM_TTL

# A pending log nobody claimed for this long lost its task (worker killed, broker lost).
LOST_AFTER = timedelta(minutes=5)
LOST_BATCH = 2000
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
    now = now or timezone.now()
    unclaimed = Q(claimed_at__isnull=True, created_at__lt=now - LOST_AFTER)
    stale = Q(claimed_at__lt=now - CLAIM_TTL)
    qs = WebhookLog.objects.filter(unclaimed | stale, status=LogStatus.PENDING).order_by("id")
    return list(qs.values_list("id", flat=True)[:limit])


def lost_task_sweep(*, now: datetime | None = None) -> int:
    """Re-queue lost deliveries. Safe against duplicates: sending claims each log first."""
    ids = lost_logs(now=now)
    queue.enqueue(ids)
    return len(ids) + len(ordering.release_unblocked())
