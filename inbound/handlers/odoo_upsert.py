"""``odoo_upsert``: create or update one Odoo record from the body, matched on a key field.

handler_config::

    {"model": "res.partner",
     "match": {"field": "ref", "path": "customer.id"},        # + optional transform/arg
     "create_if_missing": true,                               # default true
     "mapping": {"name": "customer.name",                     # field <- JSON path
                 "email": {"path": "customer.email", "transform": "lower"},
                 "customer_rank": {"value": 1}}}              # or a fixed value

Idempotent: the record is looked up by the match key (archived ones included) before any create,
under a lease per (connection, model, key), so a redelivery or two concurrent webhooks about
the same record update it instead of creating a second one.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError

from hub.lib.paths import get_path
from inbound.handlers.base import Context, HandlerError, check_keys, config_error, require_object
from inbound.leases import lease, lease_name
from rules.transforms import TransformError, apply_transform, validate_transform

ATOMIC = False  # Odoo calls are slow: never hold a database transaction open across them


def _arg(spec: dict[str, Any]) -> str:
    arg = spec.get("arg", "")
    return arg if isinstance(arg, str) else json.dumps(arg)


CONFIG_KEYS = ("model", "match", "mapping", "create_if_missing")
SPEC_KEYS = ("path", "value", "default", "transform", "arg")  # one mapped value (or the match)


def _spec(value: Any, where: str) -> dict[str, Any]:
    spec = {"path": value} if isinstance(value, str) else value
    if not isinstance(spec, dict):
        raise config_error(f"{where}: expected a JSON path or an object with a path.")
    check_keys(spec, ("field", *SPEC_KEYS) if where == "match" else SPEC_KEYS, where=where)
    if "value" not in spec and (not isinstance(spec.get("path"), str) or not spec["path"]):
        raise config_error(f'{where}: set "path" (a JSON path) or "value" (a fixed value).')
    if spec.get("transform"):
        try:
            validate_transform(spec["transform"], _arg(spec))
        except TransformError as exc:
            raise config_error(f"{where}: {exc}") from exc
    return spec


def validate_config(config: Any, *, source: Any) -> None:
    config = require_object(config)
    check_keys(config, CONFIG_KEYS)
    if not isinstance(config.get("model"), str) or "." not in config["model"]:
        raise config_error('"model" must be an Odoo model name such as "res.partner".')
    match = config.get("match")
    if not isinstance(match, dict) or not isinstance(match.get("field"), str) or not match["field"]:
        raise config_error('"match" must be {"field": <odoo field>, "path": <json path>}.')
    _spec(match, "match")
    mapping = config.get("mapping", {})
    if not isinstance(mapping, dict):
        raise config_error('"mapping" must map Odoo fields to JSON paths.')
    for field, spec in mapping.items():
        _spec(spec, f"mapping.{field}")
    if not isinstance(config.get("create_if_missing", True), bool):
        raise config_error('"create_if_missing" must be true or false.')
    if getattr(source, "connection_id", None) is None:
        raise ValidationError({"connection": "odoo_upsert needs an Odoo connection."})


def _value(payload: Any, spec: dict[str, Any]) -> Any:
    value = spec["value"] if "value" in spec else get_path(payload, spec["path"])
    if value is None and "default" in spec:
        value = spec["default"]
    if spec.get("transform"):
        try:
            value = apply_transform(
                spec["transform"], value, _arg(spec), context={"record": payload}
            )
        except TransformError as exc:
            raise HandlerError(f"transform {spec['transform']}: {exc}") from exc
    return False if value is None else value  # Odoo's "not set"; XML-RPC has no None


def build_plan(payload: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Model, match field and value, and the values to write (pure)."""
    match = _spec(config["match"], "match")
    key = _value(payload, match)
    if key is False or key == "" or isinstance(key, list | dict):
        raise HandlerError(f"no usable match value at {match.get('path')!r}: {key!r}")
    values = {
        field: _value(payload, _spec(spec, f"mapping.{field}"))
        for field, spec in (config.get("mapping") or {}).items()
    }
    return {
        "model": config["model"],
        "field": match["field"],
        "key": key,
        "values": values,
        "create": config.get("create_if_missing", True),
    }


def handle(ctx: Context) -> dict[str, Any]:
    from hub.odoo.client import OdooClient

    connection = ctx.source.connection
    if connection is None:
        raise HandlerError("the source has no Odoo connection")
    plan = build_plan(ctx.payload, ctx.config)
    model, field, key = plan["model"], plan["field"], plan["key"]
    lease_key = lease_name("odoo_upsert", connection.pk, model, field, key)
    with OdooClient.for_connection(connection) as client, lease(lease_key):
        # Archived records count: a match must never be created twice.
        ids = client.search(model, [(field, "=", key)], limit=2, context={"active_test": False})
        if len(ids) > 1:
            raise HandlerError(f"{len(ids)} {model} records have {field} = {key!r}")
        if ids:
            if plan["values"]:
                client.write(model, [ids[0]], plan["values"])
            return {"model": model, "id": ids[0], "action": "updated"}
        if not plan["create"]:
            return {"model": model, "id": None, "action": "skipped", "reason": "no match"}
        new_id = client.create(model, {field: key, **plan["values"]})
        return {"model": model, "id": new_id, "action": "created"}
