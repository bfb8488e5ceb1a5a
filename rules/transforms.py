"""Payload value transforms (upper, round, date_format, value_map, template, hook, ...).

``apply_transform`` is shared by outbound payload fields and inbound field mappings;
``validate_transform`` runs at save time so a bad argument never reaches a delivery.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from hub.lib.imports import import_listed
from hub.lib.paths import as_text, is_many2one, is_unset, relation_id, relation_name
from rules.placeholders import TemplateError, parse_template, render_template


class TransformError(ValueError):
    """A transform or its argument is invalid, or the value cannot be transformed."""


MAX_DIGITS = 400  # enough for any float (1e308) at any sane precision
FALSE_WORDS = frozenset({"", "0", "false", "f", "no", "n", "off", "none", "null"})


def _decimal(value: Any, what: str) -> Decimal:
    value = relation_id(value)
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
    raise TransformError(f"{what}: cannot convert {value!r} to a number")


def _int_arg(name: str, arg: str, *, blank: int | None = None, minimum: int | None = None) -> int:
    text = arg.strip()
    if not text and blank is not None:
        return blank
    try:
        number = int(text)
    except ValueError:
        raise TransformError(f"{name} needs a whole number as argument, got {arg!r}") from None
    if minimum is not None and number < minimum:
        raise TransformError(f"{name} needs a number >= {minimum}, got {number}")
    return number


def parse_datetime_value(value: Any) -> datetime | date:
    """Odoo 'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS' (UTC) or ISO 8601 -> date or datetime."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise TransformError(f"not a date or datetime: {value!r}")


def to_utc_iso(value: Any) -> str:
    """A datetime as ISO 8601 UTC with ``Z``; Odoo's naive datetimes are UTC already."""
    parsed = parse_datetime_value(value)
    if not isinstance(parsed, datetime):
        return parsed.isoformat()  # a date has no time zone: keep 'YYYY-MM-DD'
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat() + "Z"


def _upper(value: Any, arg: str, context: dict) -> Any:
    return as_text(value).upper()


def _lower(value: Any, arg: str, context: dict) -> Any:
    return as_text(value).lower()


def _strip(value: Any, arg: str, context: dict) -> Any:
    return as_text(value).strip()


def _truncate(value: Any, arg: str, context: dict) -> Any:
    return as_text(value)[: _int_arg("truncate", arg, minimum=0)]


def _round(value: Any, arg: str, context: dict) -> Any:
    digits = _int_arg("round", arg, blank=0)
    # Half-up like Odoo's float_round, not Python's round-half-even (2.5 -> 3, 0.125 -> 0.13).
    try:
        with localcontext(prec=MAX_DIGITS):
            rounded = _decimal(value, "round").quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    except InvalidOperation:
        raise TransformError(f"round: {value!r} is too large to round") from None
    return float(rounded) if digits > 0 else int(rounded)


def _int(value: Any, arg: str, context: dict) -> Any:
    return int(_decimal(value, "int"))


def _float(value: Any, arg: str, context: dict) -> Any:
    return float(_decimal(value, "float"))


def _str(value: Any, arg: str, context: dict) -> Any:
    return as_text(value)


def _bool(value: Any, arg: str, context: dict) -> Any:
    if isinstance(value, str):
        return value.strip().lower() not in FALSE_WORDS
    return not is_unset(value) and value != 0


def _date_format(value: Any, arg: str, context: dict) -> Any:
    return parse_datetime_value(value).strftime(arg or "%Y-%m-%d")


def _iso_datetime(value: Any, arg: str, context: dict) -> Any:
    return to_utc_iso(value)


def _map_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(relation_id(value))


def _value_map(value: Any, arg: str, context: dict) -> Any:
    mapping = _json_object(arg)
    key = _map_key(value)
    return mapping[key] if key in mapping else value


def _m2o_id(value: Any, arg: str, context: dict) -> Any:
    return relation_id(value)


def _m2o_name(value: Any, arg: str, context: dict) -> Any:
    return relation_name(value)


def _join(value: Any, arg: str, context: dict) -> Any:
    items = value if isinstance(value, list | tuple) and not is_many2one(value) else [value]
    return (arg or ", ").join(as_text(v) for v in items if not is_unset(v))


def _template(value: Any, arg: str, context: dict) -> Any:
    try:
        return render_template(arg, context.get("record") or {}, value=value)
    except TemplateError as exc:
        raise TransformError(f"template: {exc}") from exc


def _hook(value: Any, arg: str, context: dict) -> Any:
    fn = _load_hook(arg)
    try:
        return fn(value, context)
    except TransformError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code: report any failure as a transform error
        raise TransformError(f"hook {arg}: {exc.__class__.__name__}: {exc}") from exc


Fn = Callable[[Any, str, dict], Any]
TRANSFORMS: dict[str, Fn] = {
    "upper": _upper,
    "lower": _lower,
    "strip": _strip,
    "truncate": _truncate,
    "round": _round,
    "int": _int,
    "float": _float,
    "str": _str,
    "bool": _bool,
    "date_format": _date_format,
    "iso_datetime": _iso_datetime,
    "value_map": _value_map,
    "m2o_id": _m2o_id,
    "m2o_name": _m2o_name,
    "join": _join,
    "template": _template,
    "hook": _hook,
}
# Applied to each element of an x2many list (a list of values) rather than to the list.
ELEMENTWISE = frozenset(TRANSFORMS) - {"bool", "join", "template", "hook", "value_map"}
# These see unset values (None/False/[]); the others pass them through untouched so the payload
# field's default can apply.
SEE_UNSET = frozenset({"bool", "template", "hook", "value_map"})


def _json_object(arg: str) -> dict[str, Any]:
    try:
        mapping = json.loads(arg)
    except ValueError as exc:
        raise TransformError(f"value_map needs a JSON object as argument: {exc}") from None
    if not isinstance(mapping, dict):
        raise TransformError('value_map needs a JSON object, e.g. {"draft": "Draft"}')
    return mapping


def _load_hook(path: str) -> Callable[..., Any]:
    try:
        return import_listed(path, setting="HUB_TRANSFORM_HOOKS")
    except ValueError as exc:
        raise TransformError(f"hook {exc}") from None


def validate_transform(name: str, arg: str = "") -> None:
    """Check a transform name and its argument at save time; raise TransformError if bad."""
    arg = arg or ""
    if not name:
        return
    if name not in TRANSFORMS:
        raise TransformError(f"unknown transform {name!r} (known: {', '.join(TRANSFORMS)})")
    if name == "truncate":
        _int_arg(name, arg, minimum=0)
    elif name == "round":
        _int_arg(name, arg, blank=0, minimum=-15)
    elif name == "value_map":
        _json_object(arg)
    elif name == "hook":
        _load_hook(arg.strip())
    elif name == "template":
        if not arg.strip():
            raise TransformError("template needs a text such as 'Order {name} for {partner_id}'")
        try:
            parse_template(arg)
        except TemplateError as exc:
            raise TransformError(f"template: {exc}") from None
    elif name == "date_format" and arg and "%" not in arg:
        raise TransformError(f"date_format needs a strftime format such as '%d/%m/%Y', got {arg!r}")


def apply_transform(
    name: str, value: Any, arg: str = "", *, context: dict[str, Any] | None = None
) -> Any:
    """Transform ``value`` by ``name`` (a rules.models.Transform value); "" leaves it as is."""
    if not name:
        return value
    fn = TRANSFORMS.get(name)
    if fn is None:
        raise TransformError(f"unknown transform {name!r}")
    arg = arg or ""
    if name == "hook":
        arg = arg.strip()
    context = context or {}
    if is_unset(value) and name not in SEE_UNSET:
        return value
    if name in ELEMENTWISE and isinstance(value, list | tuple) and not is_many2one(value):
        return [v if is_unset(v) else fn(v, arg, context) for v in value]
    return fn(value, arg, context)
