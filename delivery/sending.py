"""Send pending deliveries: the entry point for a batch, and the single-log path of "send test".

Batches go through the lane sender (`delivery.sender`): claims per endpoint lane under a lease
renewed while sending, concurrent attempts, results recorded per group. A claim is a conditional
UPDATE (``status='pending'`` and unclaimed or lease expired) that stamps the claimer's token in
``claimed_by``: two workers handed the same log id never both send it, and a result is written
back only while the claim is still ours, so a worker that outlived its lease cannot overwrite a
newer attempt.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from delivery import lanes, retries, sender
from delivery.build import compose, redact
from delivery.models import LogStatus, WebhookLog
from hub.lib import http
from hub.lib.http import HttpResult, Outcome

logger = logging.getLogger(__name__)


def deliver(log_ids: Iterable[int], *, follow: bool = False) -> int:
    """Send the still-pending logs among `log_ids` as their lanes allow; returns how many were
    sent. `follow`: then go on with any other pending work (what a queue task does)."""
    return sender.pump(ids=log_ids, follow=follow)


def claim(log: WebhookLog, *, now: datetime | None = None) -> str | None:
    """Claim one log for sending outside the lanes ("send test"); the token, or None."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claimed = WebhookLog.objects.filter(
        lanes.claimable(now), pk=log.pk, status=LogStatus.PENDING
    ).update(claimed_at=now, claimed_by=token, error="")
    return token if claimed else None


def _ours(ids: list[int], token: str) -> QuerySet[WebhookLog]:
    """The logs among `ids` still pending under our claim `token`."""
    return WebhookLog.objects.filter(id__in=ids, status=LogStatus.PENDING, claimed_by=token)


def send_log(log: WebhookLog) -> tuple[HttpResult, dict[str, str]]:
    """One synchronous HTTP attempt for `log` (its rule loaded); the result and stored headers."""
    rule = log.rule
    assert rule is not None  # logs of a deleted rule are failed, never sent
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
    token: str,
    result: HttpResult,
    request_headers: dict[str, str] | None = None,
    probe: bool = False,
) -> bool:
    """Record one attempt and its consequences (retry, dead letter, counters, 410) atomically.

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
