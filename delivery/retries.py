"""Retry state: attempt outcomes -> WebhookRetry rows; due retries and manual retries -> attempts.

States: `pending` (waiting for `next_retry_at`), `retrying` (an attempt log is in flight),
`succeeded`, `exhausted` (dead letter: out of attempts, or failed permanently) and `cancelled`.
Invariant: a `retrying` entry has exactly one pending attempt log, and the entry leaves
`retrying` in the same transaction that records that attempt's result.

EventHistory counters count deliveries, not attempts: `success_count` +1 when a delivery
succeeds; `failure_count` +1 when it ends without success (dead letter or cancelled) and -1
when a dead letter is retried by hand (it is in flight again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from delivery import ordering, queue
from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry
from hub.lib.backoff import next_delay, parse_retry_after
from hub.lib.http import HttpResult, Outcome
from hub.models import EventHistory
from rules.models import WebhookRule

RETRY_BATCH = 500


def apply_outcome(log: WebhookLog, *, result: HttpResult, now: datetime) -> None:
    """Consequences of one recorded attempt; runs inside the transaction that recorded it."""
    retry = log.retry if log.retry_id else None
    rule = log.rule
    if result.outcome is Outcome.SUCCESS:
        _count(log.event_id, success_count=1)
        if retry is not None:
            _update(retry, log, result, now, state=RetryState.SUCCEEDED, next_retry_at=None)
        _release(log)
        return
    max_attempts = retry.max_attempts if retry else (rule.max_retries if rule else 1)
    if result.outcome is Outcome.RETRY and log.attempt < max_attempts:
        policy = retry or _policy(rule)
        delay = next_delay(
            attempt=log.attempt,
            initial=policy.initial_delay,
            multiplier=policy.multiplier,
            cap=policy.max_interval,
            retry_after=parse_retry_after(result.header("Retry-After"), now=now),
        )
        when = now + timedelta(seconds=delay)
        _upsert(retry, log, result, now, state=RetryState.PENDING, next_retry_at=when)
        return
    _upsert(
        retry, log, result, now, state=RetryState.EXHAUSTED, next_retry_at=None, exhausted_at=now
    )
    _count(log.event_id, failure_count=1)
    if result.outcome is Outcome.GONE and rule is not None:
        reason = (
            f"{log.url} answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC "
            f"(delivery {log.delivery_id}); the rule was deactivated."
        )
        WebhookRule.objects.filter(pk=rule.pk, active=True).update(
            active=False, deactivated_reason=reason, updated_at=now
        )
        rule.active, rule.deactivated_reason = False, reason  # the rest of this batch sees it
    _release(log)


def _policy(rule: WebhookRule | None) -> WebhookRetry:
    """The retry policy snapshot a new entry takes from its rule (model defaults without one)."""
    if rule is None:
        return WebhookRetry()
    return WebhookRetry(
        max_attempts=rule.max_retries,
        initial_delay=rule.retry_initial_delay,
        multiplier=rule.retry_multiplier,
        max_interval=rule.retry_max_interval,
    )


def _upsert(
    retry: WebhookRetry | None, log: WebhookLog, result: HttpResult, now: datetime, **fields: object
) -> None:
    if retry is not None:
        _update(retry, log, result, now, **fields)
        return
    policy = _policy(log.rule)
    retry = WebhookRetry.objects.create(
        delivery_id=log.delivery_id,
        rule_id=log.rule_id,
        event_id=log.event_id,
        attempts=log.attempt,
        max_attempts=policy.max_attempts,
        initial_delay=policy.initial_delay,
        multiplier=policy.multiplier,
        max_interval=policy.max_interval,
        last_error=result.error,
        last_status=result.status,
        **fields,
    )
    WebhookLog.objects.filter(pk=log.pk).update(retry=retry)
    log.retry = retry


def _update(
    retry: WebhookRetry, log: WebhookLog, result: HttpResult, now: datetime, **fields: object
) -> None:
    WebhookRetry.objects.filter(pk=retry.pk).update(
        attempts=log.attempt,
        last_error=result.error,
        last_status=result.status,
        updated_at=now,
        **fields,
    )


def _count(event_id: int | None, **deltas: int) -> None:
    if event_id is None:
        return
    qs = EventHistory.objects.filter(pk=event_id)
    if any(d < 0 for d in deltas.values()):
        qs = qs.filter(**{f"{name}__gt": 0 for name in deltas})
    qs.update(**{name: F(name) + delta for name, delta in deltas.items()})


def _release(log: WebhookLog) -> None:
    if log.rule is not None and log.rule.ordered:
        ordering.release(rule_id=log.rule_id, record_id=log.record_id)


def start_attempts(retries: Sequence[WebhookRetry], *, now: datetime) -> list[int]:
    """Create the next attempt log of each (locked) entry, mark it `retrying`, queue on commit."""
    if not retries:
        return []
    latest: dict[str, WebhookLog] = {}
    for log in WebhookLog.objects.filter(delivery_id__in=[r.delivery_id for r in retries]).order_by(
        "delivery_id", "-attempt", "-id"
    ):
        latest.setdefault(log.delivery_id, log)
    orphans = [r.pk for r in retries if r.delivery_id not in latest]
    if orphans:  # its logs were purged: nothing left to resend
        WebhookRetry.objects.filter(pk__in=orphans).update(
            state=RetryState.EXHAUSTED,
            exhausted_at=now,
            next_retry_at=None,
            last_error="no log left to resend (purged)",
            updated_at=now,
        )
    live = [r for r in retries if r.delivery_id in latest]
    WebhookRetry.objects.filter(pk__in=[r.pk for r in live]).update(
        state=RetryState.RETRYING, next_retry_at=None, updated_at=now
    )
    logs = WebhookLog.objects.bulk_create([_next_attempt(latest[r.delivery_id], r) for r in live])
    ids = [log.pk for log in logs]
    queue.enqueue_on_commit(ids)
    return ids


def _next_attempt(previous: WebhookLog, retry: WebhookRetry) -> WebhookLog:
    return WebhookLog(
        delivery_id=previous.delivery_id,
        rule_id=previous.rule_id,
        rule_name=previous.rule_name,
        event_id=previous.event_id,
        retry=retry,
        model=previous.model,
        record_id=previous.record_id,
        event_code=previous.event_code,
        url=previous.url,
        http_method=previous.http_method,
        request_headers=previous.request_headers,
        request_body=previous.request_body,
        status=LogStatus.PENDING,
        attempt=retry.attempts + 1,
    )


def due_exists(*, now: datetime) -> bool:
    """Whether any entry waits for its next attempt already (one probe of retry_state_due)."""
    return WebhookRetry.objects.filter(state=RetryState.PENDING, next_retry_at__lte=now).exists()


def claim_due(*, now: datetime | None = None, limit: int = RETRY_BATCH) -> list[int]:
    """Claim due `pending` entries and start their next attempt; returns the new log ids.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent sweeps take disjoint rows without
    waiting. SQLite: the transaction is IMMEDIATE (settings), so sweeps run one at a time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = WebhookRetry.objects.filter(
            state=RetryState.PENDING, next_retry_at__lte=now
        ).order_by("next_retry_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        return start_attempts(list(due[:limit]), now=now)


def retry_now(*, retry_ids: Iterable[int]) -> int:
    """Attempt now: dead letters (`exhausted`, `cancelled`) and waiting (`pending`) entries."""
    now = timezone.now()
    with transaction.atomic():
        entries = list(
            WebhookRetry.objects.select_for_update().filter(
                pk__in=list(retry_ids),
                state__in=[RetryState.EXHAUSTED, RetryState.CANCELLED, RetryState.PENDING],
            )
        )
        for entry in entries:
            if entry.state != RetryState.PENDING:
                _count(entry.event_id, failure_count=-1)  # counted when it ended; live again
        WebhookRetry.objects.filter(pk__in=[e.pk for e in entries]).update(exhausted_at=None)
        start_attempts(entries, now=now)
    return len(entries)


def cancel(*, retry_ids: Iterable[int]) -> int:
    """Stop retrying (`pending`) or dismiss a dead letter (`exhausted`); in-flight ones finish."""
    now = timezone.now()
    with transaction.atomic():
        entries = list(
            WebhookRetry.objects.select_for_update(of=("self",))
            .select_related("rule", "event")
            .filter(pk__in=list(retry_ids), state__in=[RetryState.PENDING, RetryState.EXHAUSTED])
        )
        WebhookRetry.objects.filter(pk__in=[e.pk for e in entries]).update(
            state=RetryState.CANCELLED, next_retry_at=None, updated_at=now
        )
        for entry in entries:
            if entry.state == RetryState.PENDING:
                _count(entry.event_id, failure_count=1)
                if entry.rule is not None and entry.rule.ordered and entry.event is not None:
                    ordering.release(rule_id=entry.rule_id, record_id=entry.event.record_id)
    return len(entries)
