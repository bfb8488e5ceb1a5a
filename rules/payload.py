"""Payload building: a rule's payload fields over the record data, and the envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from hub.lib.paths import as_text, get_path, is_many2one, is_unset, relation_id
from rules.transforms import (
    FALSE_WORDS,
    TransformError,
    apply_transform,
    parse_datetime_value,
    to_utc_iso,
)

if TYPE_CHECKING:
    from hub.models import EventHistory
    from rules.models import PayloadField, WebhookRule


class PayloadError(TransformError):
    """A payload field could not be built; the message names the field (a permanent failure)."""


def is_empty(value: Any) -> bool:
    """Empty for a default value: Odoo's False/None, "" and an empty list."""
    return is_unset(value) or value == ""


def _to_int(value: Any) -> int:
    value = relation_id(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value).strip()))
    except (ValueError, OverflowError):
        raise TransformError(f"cannot convert {value!r} to an integer") from None


def _to_float(value: Any) -> float:
    value = relation_id(value)
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (ValueError, TypeError, OverflowError):
        number = math.nan
    if not math.isfinite(number):  # NaN and Infinity are not JSON
        raise TransformError(f"cannot convert {value!r} to a number")
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_WORDS
    return not is_unset(value) and value != 0


def _to_date(value: Any) -> str:
    parsed = parse_datetime_value(value)
    return (parsed.date() if isinstance(parsed, datetime) else parsed).isoformat()


def _to_ids(value: Any) -> list[Any]:
    items = value if isinstance(value, list | tuple) and not is_many2one(value) else [value]
    return [relation_id(v) for v in items if not is_unset(v)]


COERCE = {
    "char": as_text,
    "integer": _to_int,
    "float": _to_float,
    "boolean": _to_bool,
    "date": _to_date,
    "datetime": to_utc_iso,
    "many2one": relation_id,
    "x2many": _to_ids,
}
UNSET_AS = {"boolean": False, "x2many": []}  # what an empty value becomes for these types


def coerce(field_type: str, value: Any) -> Any:
    """Convert a value to the payload field's type; "auto" and "computed" keep it as it is."""
    converter = COERCE.get(field_type)
    if converter is None:
        return value
    if is_empty(value) and not (field_type == "char" and value == ""):
        return UNSET_AS.get(field_type)
    return converter(value)


def field_value(field: PayloadField, record: dict[str, Any], context: dict[str, Any]) -> Any:
    """source path -> transform -> default when empty -> field type."""
    value = get_path(record, field.source_path) if field.source_path else None
    try:
        value = apply_transform(field.transform, value, field.transform_arg, context=context)
        if is_empty(value) and field.default_value != "":
            value = field.default_value
        return coerce(field.field_type, value)
    except TransformError as exc:
        raise PayloadError(f"payload field {field.key!r}: {exc}") from exc


def build_data(
    *, fields: Sequence[PayloadField], record: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """The envelope's ``data``: the included fields in sequence order, or the whole record."""
    if not fields:
        return dict(record)
    context = {**context, "record": record} if "record" not in context else context
    data: dict[str, Any] = {}
    for field in sorted(fields, key=lambda f: (f.sequence, f.pk or 0)):
        if field.include:
            data[field.key] = field_value(field, record, context)
    return data


def iso_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC with ``Z`` and millisecond precision."""
    moment = moment or timezone.now()
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _fields(rule: WebhookRule) -> list[PayloadField]:
    # An unsaved rule (a preview) has no payload field rows yet.
    return list(rule.payload_fields.all()) if rule.pk else []


def build_envelope(*, rule: WebhookRule, event: EventHistory) -> dict[str, Any]:
    """The JSON body (docs/contract.md) for ``event`` delivered by ``rule``.

    Raises PayloadError (a ValueError) when a payload field cannot be built: a permanent
    failure of that delivery, not something a retry fixes.
    """
    record = event.data or {}
    context = {"event": event, "rule": rule, "record": record}
    body: dict[str, Any] = {
        "id": str(event.event_id),
        "type": event.type,
        "timestamp": iso_utc(event.occurred_at),
        "event": event.event_code,
        "model": event.model,
        "record_id": event.record_id,
        "source": event.source,
        "user": event.user or None,
        "data": build_data(fields=_fields(rule), record=record, context=context),
    }
    if event.event_code == "write" and rule.include_changes and event.changes is not None:
        body["changes"] = event.changes
    return body
