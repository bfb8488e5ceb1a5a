"""``odoo_native``: Odoo 17+ "Send Webhook Notification" JSON -> a hub event for that record.

Odoo posts ``{"_model": "sale.order", "_id": 7, "_action": "<action name>(#<action id>)",
<selected fields read with load=None: many2one as a bare id, dates as strings>, "id": 7}``
with only ``Content-Type: application/json`` (no signature, no custom headers, 1 s timeout).

handler_config (all optional)::

    {"event": "write",                                  # event code, default "write"
     "actions": {"Order confirmed": "sale.order.confirmed"},  # by action name (or full _action)
     "models": ["sale.order"]}                          # refuse other models
"""

from __future__ import annotations

import re
from typing import Any

from inbound.handlers.base import (
    Context,
    HandlerError,
    as_record_id,
    check_keys,
    config_error,
    record_from,
    require_object,
)

ATOMIC = True
META_KEYS = ("_model", "_id", "_action", "_name")
ACTION_RE = re.compile(r"^(?P<name>.*)\(#(?P<id>\d+)\)$")


CONFIG_KEYS = ("event", "actions", "models")


def validate_config(config: Any, *, source: object) -> None:
    config = require_object(config)
    check_keys(config, CONFIG_KEYS)
    event = config.get("event")
    if event is not None and (not isinstance(event, str) or not event.strip()):
        raise config_error('"event" must be a non-empty event code.')
    actions = config.get("actions")
    if actions is not None and (
        not isinstance(actions, dict)
        or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in actions.items())
    ):
        raise config_error('"actions" must map Odoo action names to event codes.')
    models = config.get("models")
    if models is not None and (
        not isinstance(models, list) or not all(isinstance(m, str) and m for m in models)
    ):
        raise config_error('"models" must be a list of Odoo model names.')


def action_name(action: str) -> str:
    """'Notify shop(#12)' -> 'Notify shop'."""
    match = ACTION_RE.match(action.strip())
    return match["name"].strip() if match else action.strip()


def parse_notification(payload: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Model, record id, event code and field values of an Odoo notification (pure)."""
    if not isinstance(payload, dict):
        raise HandlerError("an Odoo webhook notification is a JSON object")
    model = payload.get("_model")
    if not isinstance(model, str) or not model:
        raise HandlerError("no _model in the body: is this Odoo's Send Webhook Notification?")
    allowed = config.get("models")
    if allowed and model not in allowed:
        raise HandlerError(f"model {model} is not accepted by this source ({', '.join(allowed)})")
    record_id = as_record_id(payload.get("_id"), "_id")
    if record_id is None:
        raise HandlerError("no _id in the body")
    action = str(payload.get("_action") or payload.get("_name") or "")
    actions = config.get("actions") or {}
    event = (
        actions.get(action) or actions.get(action_name(action)) or config.get("event") or "write"
    )
    data = {k: v for k, v in payload.items() if k not in META_KEYS}
    return {"model": model, "record_id": record_id, "event": event, "action": action, "data": data}


def handle(ctx: Context) -> dict[str, Any]:
    note = parse_notification(ctx.payload, ctx.config)
    return {
        "event_id": record_from(ctx, note),
        "model": note["model"],
        "id": note["record_id"],
        "event": note["event"],
        "action": note["action"],
    }
