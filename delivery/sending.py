"""Send pending deliveries: claim logs atomically, send each once, record every attempt.

A claim is a conditional UPDATE (``status='pending'`` and unclaimed or stale), so two workers
handed the same log id never both send it; the claim time is the claim's token. The result is
written back only if our claim still stands (``claimed_at`` unchanged): a worker that outlived
its claim cannot overwrite a newer attempt. Sending happens outside any transaction; recording
the result (log, retry entry, counters) is one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from delivery import ordering, queue, retries
from delivery.build import compose, redact
from delivery.models import LogStatus, WebhookLog
from hub.lib import http
from hub.lib.http import HttpResult, Outcome
from rules.models import WebhookRule

logger = logging.getLogger(__name__)

# Longer than any attempt can hold a claim (timeout <= 120 s for connect + headers + body).
CLAIM_TTL = timedelta(minutes=10)
ATTEMPT_MARGIN = 30.0  # seconds on top of an attempt for its commits (SQLite may wait on locks)


def attempt_bound(rule: WebhookRule | None) -> float:
    """Seconds one attempt may take: connect and first byte each get the rule's timeout."""
    return 2.0 * (rule.timeout if rule is not None else 0) + ATTEMPT_MARGIN


def deliver(log_ids: Iterable[int]) -> int:
    """Send every still-pending log among `log_ids`, oldest first; returns how many were sent.

    One UPDATE claims the whole batch (one commit instead of one per log); the claim is renewed
    for the rest of the batch before it could go stale, so a slow batch never loses its claim.
    A batch that could outlive its queue task's timeout (a slow receiver) stops starting
    attempts and hands the rest back to the queue: the task is never cut off mid-send, which
    would resend that delivery and hold the rest of the batch until its claim went stale.
    """
    started = time.monotonic()
    ids = list(log_ids)
    token = _claim_batch(ids)
    if token is None:
        return 0
    logs = list(_ours(ids, token).select_related("rule").order_by("id"))
    shared = {log.rule_id: log.rule for log in reversed(logs)}
    for log in logs:  # one instance per rule: a 410 deactivation is seen by the rest of the batch
        log.rule = shared[log.rule_id]
    sent = 0
    for index, log in enumerate(logs):
        elapsed = time.monotonic() - started
        if index and elapsed + attempt_bound(log.rule) > queue.TASK_TIMEOUT:
            _hand_back([other.pk for other in logs[index:]], token)
            break
        if timezone.now() - token > CLAIM_TTL / 2:
            rest = [other.pk for other in logs[index:]]
            token = _renew(rest, token)
        sent += _send_claimed(log, token)
    return sent


def _claim_batch(ids: list[int], *, now: datetime | None = None) -> datetime | None:
    """Claim the pending, unclaimed (or stale) logs among `ids`; the claim time is the token."""
    now = now or timezone.now()
    claimable = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TTL)
    claimed = WebhookLog.objects.filter(claimable, id__in=ids, status=LogStatus.PENDING).update(
        claimed_at=now, error=""
    )
    return now if claimed else None


def _ours(ids: list[int], token: datetime) -> QuerySet[WebhookLog]:
    """The logs among `ids` still pending under our claim `token`."""
    return WebhookLog.objects.filter(id__in=ids, status=LogStatus.PENDING, claimed_at=token)


def _renew(ids: list[int], token: datetime) -> datetime:
    now = timezone.now()
    _ours(ids, token).update(claimed_at=now)
    return now


def _hand_back(ids: list[int], token: datetime) -> None:
    """Unclaim logs this batch will not send and queue them again (the lost-task sweep would
    find them anyway, should queueing fail)."""
    _ours(ids, token).update(claimed_at=None)
    queue.enqueue(ids)


def claim(log: WebhookLog, *, now: datetime | None = None) -> datetime | None:
    """Claim one log for sending; the claim time is the token, None when someone else has it."""
    return _claim_batch([log.pk], now=now)


def _send_claimed(log: WebhookLog, token: datetime) -> bool:
    rule = log.rule
    if rule is None or not rule.active:
        reason = "the rule was deleted" if rule is None else "the rule is inactive"
        finish(log, token=token, result=HttpResult(Outcome.FAIL, error=f"not sent: {reason}"))
        return False
    if rule.ordered and ordering.blocked(log):
        ordering.park(log, token=token)
        return False
    result, headers = send_log(log)
    return finish(log, token=token, result=result, request_headers=headers)


def send_log(log: WebhookLog) -> tuple[HttpResult, dict[str, str]]:
    """One HTTP attempt for `log` (its rule loaded); returns the result and the stored headers."""
    rule = log.rule
    request = compose(
        rule=rule,
        method=log.http_method,
        url=log.url,
        body=log.request_body.encode(),
        delivery_id=log.delivery_id,
        event_type=f"{log.model}.{log.event_code}",
        timestamp=int(time.time()),
    )
    result = http.send(
        method=request.method,
        url=request.url,
        headers=request.headers,
        body=request.body,
        timeout=rule.timeout,
    )
    return result, redact(request.headers, rule=rule)


def finish(
    log: WebhookLog,
    *,
    token: datetime,
    result: HttpResult,
    request_headers: dict[str, str] | None = None,
    probe: bool = False,
) -> bool:
    """Record the attempt and its consequences (retry, dead letter, counters, 410) atomically.

    `probe` (a "send test now") records the attempt only: no retry, no counters, no 410.
    """
    now = timezone.now()
    fields = {
        "status": LogStatus.SUCCESS if result.outcome is Outcome.SUCCESS else LogStatus.FAILED,
        "response_status": result.status,
        "response_headers": result.headers,
        "response_body": result.body,
        "duration_ms": result.duration_ms if request_headers is not None else None,
        "error": result.error,
        "sent_at": now if request_headers is not None else None,
    }
    if request_headers is not None:
        fields["request_headers"] = request_headers
    with transaction.atomic():
        updated = _ours([log.pk], token).update(**fields)
        if not updated:
            logger.warning("delivery log %s was re-claimed while sending; result dropped", log.pk)
            return False
        for key, value in fields.items():
            setattr(log, key, value)
        if not probe:
            retries.apply_outcome(log, result=result, now=now)
    return True
