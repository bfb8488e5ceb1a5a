"""Record-time half of delivery: one log per (event, rule), written in the event's transaction.

Called by hub.events inside its transaction. Each matched rule gets a WebhookLog carrying a new
delivery id (the `webhook-id` of every attempt), the final URL and body: `pending` to be sent,
`test` for rules in test mode (built, signed, logged, never sent), or `failed` when the payload
cannot be built (a broken payload rule must not stop the event or its other rules). Sending is
registered with ``transaction.on_commit``: nothing goes out for a rolled-back change, async
rules are queued by id in chunks, sync rules are sent inline by the committing thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F

from delivery import queue, sending
from delivery.build import compose, prepare, redact
from delivery.models import LogStatus, WebhookLog, new_delivery_id
from hub.models import EventHistory
from rules.models import DispatchMode, WebhookRule
from rules.payload import build_envelope

logger = logging.getLogger(__name__)
URL_MAX = WebhookLog._meta.get_field("url").max_length


def new_log(*, event: EventHistory, rule: WebhookRule) -> WebhookLog:
    """The first-attempt log of one delivery, built and signed, not saved."""
    delivery_id = new_delivery_id()
    log = WebhookLog(
        delivery_id=delivery_id,
        rule=rule,
        rule_name=rule.name,
        event=event if event.pk else None,
        model=event.model,
        record_id=event.record_id,
        event_code=event.event_code,
        url=rule.url,
        http_method=rule.http_method,
        status=LogStatus.TEST if rule.test_mode else LogStatus.PENDING,
    )
    try:
        url, body = prepare(rule=rule, envelope=build_envelope(rule=rule, event=event))
    except Exception as exc:  # any error in a user-defined payload; logged, never raised
        logger.warning("payload of rule %s for event %s failed: %s", rule.pk, event.pk, exc)
        log.status, log.error = LogStatus.FAILED, f"payload could not be built: {exc}"
        return log
    if len(url) > URL_MAX:
        log.status, log.error = LogStatus.FAILED, f"URL with query string exceeds {URL_MAX} chars"
        return log
    request = compose(
        rule=rule,
        method=rule.http_method,
        url=url,
        body=body,
        delivery_id=delivery_id,
        event_type=event.type,
        timestamp=int(time.time()),
    )
    log.url, log.request_body = url, body.decode()
    log.request_headers = redact(request.headers, rule=rule)
    return log


def create_deliveries(
    matches: Sequence[tuple[EventHistory, Sequence[WebhookRule]]],
) -> list[WebhookLog]:
    """Write the logs of saved events and their matched rules; send/queue them after commit."""
    logs = WebhookLog.objects.bulk_create(
        [new_log(event=event, rule=rule) for event, rules in matches for rule in rules]
    )
    failed_events = [log.event_id for log in logs if log.status == LogStatus.FAILED]
    for event_id in failed_events:
        EventHistory.objects.filter(pk=event_id).update(failure_count=F("failure_count") + 1)
    pending = [log for log in logs if log.status == LogStatus.PENDING]
    sync_ids = [log.pk for log in pending if log.rule.dispatch_mode == DispatchMode.SYNC]
    async_ids = [log.pk for log in pending if log.rule.dispatch_mode != DispatchMode.SYNC]
    if sync_ids:
        _send_on_commit(sync_ids)
    queue.enqueue_on_commit(async_ids)  # never raises: a broker outage is the sweep's job
    return logs


def _send_on_commit(log_ids: list[int]) -> None:
    """Send sync deliveries inline once the transaction commits.

    robust: the event is committed either way; a failed send is what the lost-task sweep is
    for, it must neither turn a recorded event into an error for the caller nor skip the
    transaction's other callbacks. A named function, not a partial: Django's robust handler
    logs the callback's ``__qualname__``."""

    def send_sync_deliveries() -> None:
        sending.deliver(log_ids)

    transaction.on_commit(send_sync_deliveries, robust=True)
