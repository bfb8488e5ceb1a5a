"""``python``: call a function listed in settings.HUB_INBOUND_HANDLERS; nothing else is importable.

handler_config: ``{"path": "myproject.hooks.on_payment", "options": {...}}``. The function is
called as ``fn(payload=..., incoming=..., source=..., options=...)`` and may return a JSON-able
dict (stored as the result). It runs outside a transaction and may run again after a crash or a
transient error (raise an exception with ``transient = True`` to be retried): make it idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hub.lib.imports import import_listed
from inbound.handlers.base import Context, HandlerError, check_keys, config_error, require_object

ATOMIC = False


CONFIG_KEYS = ("path", "options")


def validate_config(config: Any, *, source: object) -> None:
    config = require_object(config)
    check_keys(config, CONFIG_KEYS)
    path = config.get("path")
    if not isinstance(path, str) or not path:
        raise config_error('Set "path": a dotted path listed in HUB_INBOUND_HANDLERS.')
    try:
        load(path)
    except HandlerError as exc:
        raise config_error(str(exc)) from None
    options = config.get("options")
    if options is not None and not isinstance(options, dict):
        raise config_error('"options" must be a JSON object.')


def load(path: str) -> Callable[..., Any]:
    # Checked again at run time: the setting may have changed since the source was saved.
    try:
        return import_listed(path, setting="HUB_INBOUND_HANDLERS")
    except ValueError as exc:
        raise HandlerError(str(exc)) from None


def handle(ctx: Context) -> dict[str, Any] | None:
    fn = load(ctx.config.get("path", ""))
    result = fn(
        payload=ctx.payload,
        incoming=ctx.incoming,
        source=ctx.source,
        options=ctx.config.get("options") or {},
    )
    if result is None:
        return None
    try:
        json.dumps(result)
    except (TypeError, ValueError):
        return {"value": repr(result)}
    return result if isinstance(result, dict) else {"value": result}
