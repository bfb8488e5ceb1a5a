"""Handler registry: one module per handler, each with ATOMIC, validate_config() and handle()."""

from __future__ import annotations

from types import ModuleType

from inbound.handlers import emit_event, odoo_native, odoo_upsert, python, store

HANDLERS: dict[str, ModuleType] = {
    "store": store,
    "emit_event": emit_event,
    "odoo_upsert": odoo_upsert,
    "odoo_native": odoo_native,
    "python": python,
}


def get_handler(name: str) -> ModuleType:
    from inbound.handlers.base import HandlerError

    try:
        return HANDLERS[name]
    except KeyError:
        raise HandlerError(f"unknown handler {name!r}") from None
