"""What every handler shares: its context, its errors and small config checks."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from hub.events import NewEvent, record_event
from hub.lib.paths import get_path

if TYPE_CHECKING:
    from inbound.models import InboundSource, IncomingWebhook


class HandlerError(Exception):
    """A handler could not do its work. ``transient`` errors are retried with backoff."""

    transient = False


class TransientHandlerError(HandlerError):
    transient = True


@dataclass
class Context:
    incoming: IncomingWebhook
    source: InboundSource
    payload: Any
    config: dict[str, Any]


def require_object(config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise ValidationError({"handler_config": "Expected a JSON object."})
    return config


def config_error(message: str) -> ValidationError:
    return ValidationError({"handler_config": message})


def check_keys(config: dict[str, Any], allowed: Iterable[str], *, where: str = "") -> None:
    """Refuse keys the handler does not read: a misspelt key would otherwise be ignored."""
    allowed = tuple(allowed)
    unknown = sorted(key for key in config if key not in allowed)
    if not unknown:
        return
    key = unknown[0]
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    place = f" in {where}" if where else ""
    names = ", ".join(allowed) if allowed else "none"
    raise config_error(f'Unknown key "{key}"{place}{hint}. Allowed keys: {names}.')


def check_path(config: dict[str, Any], key: str, *, required: bool = False) -> None:
    value = config.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise config_error(f'"{key}" must be a JSON path such as "data.object.id".')


def check_literal_or_path(config: dict[str, Any], key: str) -> None:
    """One of ``key`` (a fixed value) or ``key_path`` (taken from the body) is required."""
    literal, path = config.get(key), config.get(f"{key}_path")
    if literal is None and path is None:
        raise config_error(f'Set "{key}" (a fixed value) or "{key}_path" (a JSON path).')
    if literal is not None and (not isinstance(literal, str) or not literal.strip()):
        raise config_error(f'"{key}" must be a non-empty string.')
    check_path(config, f"{key}_path")


def literal_or_path(payload: Any, config: dict[str, Any], key: str) -> Any:
    if config.get(key) is not None:
        return config[key]
    return get_path(payload, config[f"{key}_path"])


def as_record_id(value: Any, what: str = "record id") -> int | None:
    """A record id from JSON: an int or a numeric string; None when absent."""
    if value is None or value is False or value == "":
        return None
    if isinstance(value, bool):
        raise HandlerError(f"{what} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise HandlerError(f"{what} is not an integer: {value!r}")


def record_from(ctx: Context, parts: dict[str, Any]) -> str:
    """Record the hub event ``parts`` describe (model, event, record_id, data); its event id."""
    history = record_event(
        NewEvent(
            model=parts["model"],
            event_code=parts["event"],
            record_id=parts["record_id"],
            data=parts["data"],
            source=ctx.source.event_source,
            connection=ctx.source.connection,
        )
    )
    return str(history.event_id)
