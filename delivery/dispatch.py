"""Record-time half of delivery: one log per planned delivery, written in the event's transaction.

Called by hub.events inside its transaction with the deliveries rules.planning planned. Each
gets a WebhookLog carrying a new delivery id (the `webhook-id` of every attempt), the planned
URL and body: `pending` to be sent, `test` for rules in test mode (signed, logged, never sent),
or `failed` when the payload could not be built (a broken payload rule must not stop the event
or its other rules). Sending is
registered with ``transaction.on_commit``: nothing goes out for a rolled-back change, async
rules are queued by id in chunks, sync rules are sent inline by the committing thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from django.db import transaction
from django.db.models import F

from delivery import queue, sending
from delivery.build import compose, redact
from delivery.models import LogStatus, WebhookLog, new_delivery_id
from hub.lib import bulk
from hub.models import EventHistory
from rules.models import DispatchMode, WebhookRule


def _url_limit() -> int:
    limit = WebhookLog._meta.get_field("url").max_length
    assert limit is not None  # a CharField: its column's limit
    return limit


URL_MAX = _url_limit()


class PlannedDelivery(Protocol):
    """What delivery needs of a planned delivery (rules.planning.Planned): rule, URL and body,
    or the error that kept its payload from being built."""

    @property
    def rule(self) -> WebhookRule: ...
    @property
    def url(self) -> str: ...
    @property
    def body(self) -> bytes: ...
    @property
    def error(self) -> Exception | None: ...


def new_log(*, event: EventHistory, planned: PlannedDelivery) -> WebhookLog:
    """The first-attempt log of one delivery, signed, not saved."""
    rule = planned.rule
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
    if planned.error is not None:
        log.status, log.error = LogStatus.FAILED, f"payload could not be built: {planned.error}"
        return log
    url, body = planned.url, planned.body
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


def _sent_inline(log: WebhookLog) -> bool:
    return log.rule is not None and log.rule.dispatch_mode == DispatchMode.SYNC


def create_deliveries(
    planned: Sequence[tuple[EventHistory, Sequence[PlannedDelivery]]],
) -> list[WebhookLog]:
    """Write the logs of saved events' planned deliveries; send/queue them after commit."""
    logs = bulk.insert(  # bulk_create without the per-field SQL compilation
        [new_log(event=event, planned=p) for event, deliveries in planned for p in deliveries]
    )
    failed_events = [
        log.event_id for log in logs if log.status == LogStatus.FAILED and log.event_id is not None
    ]
    for event_id in failed_events:
        EventHistory.objects.filter(pk=event_id).update(failure_count=F("failure_count") + 1)
    pending = [log for log in logs if log.status == LogStatus.PENDING]
    sync_ids = [log.pk for log in pending if _sent_inline(log)]
    async_ids = [log.pk for log in pending if not _sent_inline(log)]
    if sync_ids:
        _send_on_commit(sync_ids)
    queue.kick_on_commit(async_ids)  # never raises: a broker outage is the sweep's job
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
