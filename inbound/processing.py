"""Running a stored request's handler: claim, run, record; retry transient failures; sweep.

Every state change is a conditional UPDATE, so several workers (and the sweep) never run the
same request twice at once.
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hub.lib.backoff import next_delay
from inbound import limits, tunables
from inbound.handlers import get_handler
from inbound.handlers.base import Context
from inbound.models import IncomingWebhook, ProcessingState
from inbound.queue import enqueue_on_commit

logger = logging.getLogger(__name__)
S = ProcessingState
REPROCESSABLE = (S.DONE, S.FAILED, S.RECEIVED)


def _claim(incoming_id: int) -> IncomingWebhook | None:
    now = timezone.now()
    claimed = IncomingWebhook.objects.filter(pk=incoming_id, state=S.RECEIVED).update(
        state=S.PROCESSING, claimed_at=now, attempts=F("attempts") + 1, next_retry_at=None
    )
    if not claimed:
        return None
    return IncomingWebhook.objects.select_related("source", "source__connection").get(
        pk=incoming_id
    )


def _mine(row: IncomingWebhook) -> Any:
    # Only the worker holding the claim may record the outcome (the sweep may have re-claimed).
    return IncomingWebhook.objects.filter(pk=row.pk, state=S.PROCESSING, claimed_at=row.claimed_at)


def _jsonable(result: Any) -> Any:
    return json.loads(json.dumps(result, default=str)) if result is not None else None


class LostClaim(Exception):
    """The sweep gave this request to another worker meanwhile: this run's work is undone."""


def _succeed(row: IncomingWebhook, result: Any) -> None:
    recorded = _mine(row).update(
        state=S.DONE, result=_jsonable(result), error="", processed_at=timezone.now()
    )
    if not recorded:
        # Inside the atomic block this rolls back the handler's writes (no second event).
        raise LostClaim(f"request {row.pk} was claimed by another worker meanwhile")


def _fail(row: IncomingWebhook, exc: BaseException) -> str:
    policy = tunables.retry_policy()
    error = f"{type(exc).__name__}: {exc}"
    now = timezone.now()
    retry_at = None
    if getattr(exc, "transient", False) and row.attempts < policy["max_attempts"]:
        delay = next_delay(
            attempt=row.attempts,
            initial=policy["initial"],
            multiplier=policy["multiplier"],
            cap=policy["cap"],
        )
        retry_at = now + timedelta(seconds=delay)
        limit = int(policy["max_attempts"])
        error += f" (attempt {row.attempts}/{limit}, retry at {retry_at:%Y-%m-%d %H:%M:%S}Z)"
    _mine(row).update(state=S.FAILED, error=error, next_retry_at=retry_at, processed_at=now)
    return error


def process_incoming(*, incoming_id: int) -> str:
    """Run the source's handler on one stored request; returns a short outcome for the task log."""
    row = _claim(incoming_id)
    if row is None:
        return "not claimable"
    source = row.source
    try:
        handler = get_handler(source.handler)
        ctx = Context(
            incoming=row, source=source, payload=json.loads(row.body), config=source.handler_config
        )
        # ATOMIC: the handler's own writes (a hub event) and "done" commit together.
        with transaction.atomic() if handler.ATOMIC else nullcontext():
            _succeed(row, handler.handle(ctx))
    except Exception as exc:  # noqa: BLE001 - any handler error is recorded on the request
        logger.info("inbound request %s failed: %s", incoming_id, exc)
        return _fail(row, exc)
    return "done"


def process_batch(*, incoming_ids: list[int]) -> dict[str, int]:
    """Run several stored requests in turn (queued together by inbound.handoff); one that
    breaks unexpectedly is logged and left to the sweep, the others still run."""
    outcomes: dict[str, int] = {}
    for incoming_id in incoming_ids:
        try:
            outcome = process_incoming(incoming_id=incoming_id)
            outcome = outcome if outcome in ("done", "not claimable") else "failed"
        except Exception:  # e.g. a lost database connection: the sweep runs it again
            logger.exception("inbound request %s could not be processed", incoming_id)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def reprocess(*, incoming_id: int) -> bool:
    """Run the handler again (admin action, API). Rejected and duplicate requests never run."""
    with transaction.atomic():
        updated = IncomingWebhook.objects.filter(pk=incoming_id, state__in=REPROCESSABLE).update(
            state=S.RECEIVED,
            attempts=0,
            next_retry_at=None,
            error="",
            enqueued_at=timezone.now(),
        )
        if updated:
            enqueue_on_commit(incoming_id)
    return bool(updated)


def _requeue(filter_q: Q, fresh: dict[str, Any]) -> int:
    """Claim a batch of rows one by one with conditional updates, then enqueue them."""
    count = 0
    ids = list(
        IncomingWebhook.objects.filter(filter_q)
        .order_by("id")
        .values_list("id", flat=True)[: tunables.SWEEP_BATCH]
    )
    for pk in ids:
        if IncomingWebhook.objects.filter(filter_q, pk=pk).update(**fresh):
            enqueue_on_commit(pk)
            count += 1
    return count


def prune_unaccepted() -> int:
    """Keep the newest HUB_INBOUND_REJECTED_KEEP rejected/duplicate rows per source."""
    keep = tunables.unaccepted_keep()
    unaccepted = Q(state__in=[S.REJECTED, S.DUPLICATE])
    deleted = 0
    sources = (
        IncomingWebhook.objects.filter(unaccepted).values_list("source_id", flat=True).distinct()
    )
    for source_id in list(sources):
        rows = IncomingWebhook.objects.filter(unaccepted, source_id=source_id).order_by("-id")
        cutoff = rows.values_list("id", flat=True)[keep : keep + 1].first()
        if cutoff is not None:
            n, _ = IncomingWebhook.objects.filter(
                unaccepted, source_id=source_id, id__lte=cutoff
            ).delete()
            deleted += n
    return deleted


def sweep() -> dict[str, int]:
    """Every minute: due retries, lost tasks and dead workers enqueued again; old rows pruned."""
    now = timezone.now()
    due = Q(state=S.FAILED, next_retry_at__lte=now)
    lost = Q(
        state=S.RECEIVED, enqueued_at__lt=now - timedelta(seconds=tunables.STUCK_RECEIVED_SECONDS)
    )
    dead = Q(
        state=S.PROCESSING,
        claimed_at__lt=now - timedelta(seconds=tunables.STUCK_PROCESSING_SECONDS),
    )
    fresh = {"state": S.RECEIVED, "enqueued_at": now, "next_retry_at": None}
    return {
        "retried": _requeue(due, fresh),
        "lost": _requeue(lost, fresh),
        "dead": _requeue(dead, fresh),
        "pruned": prune_unaccepted(),
        "counters": limits.prune(before=now.timestamp() - 3600),
    }
