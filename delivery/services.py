"""Public services of the delivery app (keyword-only): send, preview, test, retry, cancel."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from delivery import retries, sending
from delivery.build import compose, prepare, redact
from delivery.dispatch import new_log
from delivery.models import LogStatus, WebhookLog, new_delivery_id
from hub.models import EventHistory
from rules.models import WebhookRule
from rules.payload import build_envelope, sample_value


def deliver(*, log_ids: Iterable[int]) -> int:
    return sending.deliver(log_ids)


def retry_now(*, retry_ids: Iterable[int]) -> int:
    return retries.retry_now(retry_ids=retry_ids)


def cancel(*, retry_ids: Iterable[int]) -> int:
    return retries.cancel(retry_ids=retry_ids)


def preview(*, rule: WebhookRule, event: EventHistory) -> dict[str, Any]:
    """The request `rule` would send for `event`, not sent: credentials masked, signatures shown.

    Raises rules.payload.PayloadError when the payload cannot be built.
    """
    url, body = prepare(rule=rule, envelope=build_envelope(rule=rule, event=event))
    request = compose(
        rule=rule,
        method=rule.http_method,
        url=url,
        body=body,
        delivery_id=new_delivery_id(),
        event_type=event.type,
        timestamp=int(time.time()),
    )
    return {
        "method": request.method,
        "url": request.url,
        "headers": redact(request.headers, rule=rule, keep_signatures=True),
        "body": body.decode(),
    }


def sample_event(*, rule: WebhookRule) -> EventHistory:
    """An unsaved event of the rule's model with sample values at its payload fields' paths.

    Each value suits the field's transform and type (rules.payload.sample_value), so a rule
    whose fields round, parse dates or map values still builds its test delivery.
    """
    data: dict[str, Any] = {"id": 1, "display_name": f"Sample {rule.model}"}
    for field in rule.payload_fields.all():
        if not field.source_path:
            continue
        *parents, leaf = field.source_path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node.setdefault(leaf, sample_value(field))
    code = next((e.code for e in rule.events.all()), "write")
    changes = {"display_name": {"before": "Old name", "after": data["display_name"]}}
    return EventHistory(
        occurred_at=timezone.now(),
        source="test",
        model=rule.model,
        record_id=1,
        event_code=code,
        user=None,
        data=data,
        changes=changes if code == "write" else None,
    )


def send_test(*, rule: WebhookRule) -> WebhookLog:
    """Send a sample delivery now, synchronously, and return its log ("send test now").

    A probe: no retry, no dead letter, no 410 deactivation. A rule in test mode logs `test`.
    """
    log = new_log(event=sample_event(rule=rule), rule=rule)
    log.save()
    if log.status != LogStatus.PENDING:
        return log
    token = sending.claim(log)
    assert token is not None  # a log we just created is ours
    result, headers = sending.send_log(log)
    sending.finish(log, token=token, result=result, request_headers=headers, probe=True)
    log.refresh_from_db()
    return log
