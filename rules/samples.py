"""Sample records for "send test now" and "record a test event": values each field accepts."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from hub.models import EventHistory
from rules.models import PayloadField, WebhookRule
from rules.transforms import TRANSFORMS

SAMPLE_BY_TYPE: dict[str, Any] = {
    "integer": 42,
    "float": 4.2,
    "boolean": True,
    "date": "2026-01-31",
    "datetime": "2026-01-31 12:00:00",
    "many2one": [1, "Sample"],
    "x2many": [1, 2],
}


def sample_value(field: PayloadField) -> Any:
    """A raw record value that the field's transform and type accept (for "send test now")."""
    spec = TRANSFORMS.get(field.transform)
    sample = spec.sample(field.transform_arg or "") if spec and spec.sample else None
    return sample if sample is not None else SAMPLE_BY_TYPE.get(field.field_type, "sample")


def sample_event(*, rule: WebhookRule) -> EventHistory:
    """An unsaved event of the rule's model with sample values at its payload fields' paths.

    Each value suits the field's transform and type (:func:`sample_value`), so a rule whose
    fields round, parse dates or map values still builds its test delivery.
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
