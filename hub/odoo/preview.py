"""Preview payload: read one Odoo record exactly as the poller would and show what a rule would
send for it (method, URL, headers, body), without sending anything or recording an event."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from hub.models import EventHistory, ModelHook, RecordSnapshot
from hub.odoo.client import OdooClient
from hub.odoo.fields import build_plan, cached_describe, diff, expand
from hub.odoo.poller import ACTIVE_TEST_OFF, from_odoo, user_of
from rules.matching import needed_paths, rule_paths
from rules.models import WebhookRule
from rules.planning import plan_one


class PreviewError(ValueError):
    """The preview cannot be built (record not found, rule for another model); user-facing."""


def preview_record(
    *, hook: ModelHook, rule: WebhookRule, record_id: int, event_code: str = "write"
) -> dict[str, Any]:
    """{"method", "url", "headers", "body", "event": {...}} for `rule` on record `record_id`."""
    from delivery.services import preview

    if rule.model != hook.model:
        raise PreviewError(f"rule {rule.name!r} is for {rule.model}, the hook for {hook.model}")
    conn = hook.connection
    with OdooClient.for_connection(conn) as client:
        describe = cached_describe(conn.pk, client)
        needed = needed_paths(model=hook.model, connection_id=conn.pk)
        needed |= rule_paths(rule)
        plan = build_plan(
            model=hook.model, describe=describe, tracked=hook.tracked_fields or [], needed=needed
        )
        rows = client.read(hook.model, [record_id], plan.fields, context=ACTIVE_TEST_OFF)
        if not rows:
            raise PreviewError(f"{hook.model} record {record_id} does not exist in Odoo")
        expand(
            model=hook.model,
            rows=rows,
            tree=plan.tree,
            describe=describe,
            fetch=client.read_related,
        )
    row = rows[0]
    snap = RecordSnapshot.objects.filter(hook=hook, record_id=record_id).first()
    changes = diff(snap.values, row, plan.tracked) if snap and event_code == "write" else None
    event = EventHistory(
        event_id=uuid.uuid4(),
        source=conn.name,
        connection=conn,
        model=hook.model,
        record_id=record_id,
        event_code=event_code,
        user=user_of(row),
        data=row,
        changes=changes or None,
        occurred_at=from_odoo(row["write_date"]) if row.get("write_date") else timezone.now(),
    )
    request = preview(event=event, planned=plan_one(rule=rule, event=event))
    request["event"] = {
        "model": event.model,
        "record_id": record_id,
        "event": event_code,
        "changes": event.changes,
        "user": event.user,
    }
    return request
