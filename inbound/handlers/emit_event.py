"""``emit_event``: record a hub event built from JSON paths of the body; outbound rules fan it out.

handler_config::

    {"model": "shop.order" | "model_path": "resource",
     "event": "order.paid" | "event_path": "type",
     "record_id_path": "data.object.metadata.odoo_id",      # optional
     "data_path": "data.object"                            # optional, default: the whole body
     | "data": {"amount": "data.object.amount", ...}}      # or: key -> JSON path
"""

from __future__ import annotations

from typing import Any

from hub.lib.paths import get_path
from inbound.handlers.base import (
    Context,
    HandlerError,
    as_record_id,
    check_keys,
    check_literal_or_path,
    check_path,
    config_error,
    literal_or_path,
    record_from,
    require_object,
)

ATOMIC = True  # the event and the request's "done" commit together: a retry never emits twice


CONFIG_KEYS = ("model", "model_path", "event", "event_path", "record_id_path", "data", "data_path")


def validate_config(config: Any, *, source: object) -> None:
    config = require_object(config)
    check_keys(config, CONFIG_KEYS)
    check_literal_or_path(config, "model")
    check_literal_or_path(config, "event")
    check_path(config, "record_id_path")
    check_path(config, "data_path")
    data = config.get("data")
    if data is not None:
        if "data_path" in config:
            raise config_error('Set "data" or "data_path", not both.')
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in data.items()
        ):
            raise config_error('"data" must map payload keys to JSON paths.')


def build_event(payload: Any, config: dict[str, Any]) -> dict[str, Any]:
    """The parts of the event, from the body and the config (pure)."""
    model = literal_or_path(payload, config, "model")
    event = literal_or_path(payload, config, "event")
    for name, value in (("model", model), ("event", event)):
        if not isinstance(value, str) or not value.strip():
            raise HandlerError(f"no {name} in the body (config {config.get(name + '_path')!r})")
    record_id = None
    if config.get("record_id_path"):
        record_id = as_record_id(get_path(payload, config["record_id_path"]))
    if isinstance(config.get("data"), dict):
        data: Any = {key: get_path(payload, path) for key, path in config["data"].items()}
    elif config.get("data_path"):
        data = get_path(payload, config["data_path"])
    else:
        data = payload
    if not isinstance(data, dict):
        data = {"value": data}
    return {"model": model.strip(), "event": event.strip(), "record_id": record_id, "data": data}


def handle(ctx: Context) -> dict[str, Any]:
    parts = build_event(ctx.payload, ctx.config)
    return {
        "event_id": record_from(ctx, parts),
        "model": parts["model"],
        "event": parts["event"],
        "record_id": parts["record_id"],
    }
