"""Public services of the delivery app (keyword-only): preview and send-test of a planned delivery.

Sending is delivery.sending.deliver (queued by delivery.tasks), retry-now and cancel are
delivery.retries.retry_now / cancel: called directly, no forwarding layer.
"""

from __future__ import annotations

import time
from typing import Any

from delivery import sending
from delivery.build import compose, redact
from delivery.dispatch import PlannedDelivery, new_log
from delivery.models import LogStatus, WebhookLog, new_delivery_id
from hub.models import EventHistory


def preview(*, event: EventHistory, planned: PlannedDelivery) -> dict[str, Any]:
    """The request `planned` would send for `event`, not sent: credentials masked, signatures
    shown. The caller plans it (rules.planning.plan_one); its payload error is raised here
    (rules.payload.PayloadError)."""
    if planned.error is not None:
        raise planned.error
    rule = planned.rule
    request = compose(
        rule=rule,
        method=rule.http_method,
        url=planned.url,
        body=planned.body,
        delivery_id=new_delivery_id(),
        event_type=event.type,
        timestamp=int(time.time()),
    )
    return {
        "method": request.method,
        "url": request.url,
        "headers": redact(request.headers, rule=rule, keep_signatures=True),
        "body": planned.body.decode(),
    }


def send_test(*, event: EventHistory, planned: PlannedDelivery) -> WebhookLog:
    """Send a delivery of an unsaved sample event now, synchronously, and return its log.

    "Send test now": the entry point plans it (rules.samples, rules.planning). A probe: no
    retry, no dead letter, no 410 deactivation. A rule in test mode logs `test`.
    """
    log = new_log(event=event, planned=planned)
    log.save()
    if log.status != LogStatus.PENDING:
        return log
    token = sending.claim(log)
    assert token is not None  # a log we just created is ours
    result, headers = sending.send_log(log)
    sending.finish(log, token=token, result=result, request_headers=headers, probe=True)
    log.refresh_from_db()
    return log
