"""``store``: keep the request, do nothing else."""

from __future__ import annotations

from typing import Any

from inbound.handlers.base import Context, check_keys, require_object

ATOMIC = True


def validate_config(config: Any, *, source: object) -> None:
    check_keys(require_object(config), ())


def handle(ctx: Context) -> dict[str, Any] | None:
    return None
