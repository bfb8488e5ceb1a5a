"""Payload value transforms (upper, round, date_format, value_map, template, hook, ...).

``apply_transform`` is shared by outbound payload fields and inbound field mappings;
``validate_transform`` runs at save time so a bad argument never reaches a delivery.
:data:`TRANSFORMS` is the one table: adding a transform is one entry there and one line in
``rules.models.Transform`` (a test keeps the two equal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
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
    arg = arg.strip()
    fn = _load_hook(arg)
    try:
        return fn(value, context)
    except TransformError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code: report any failure as a transform error
        raise TransformError(f"hook {arg}: {exc.__class__.__name__}: {exc}") from exc


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


def _no_arg_check(arg: str) -> None:
    """Transforms whose argument is unused or free text."""


def _check_truncate(arg: str) -> None:
    _int_arg("truncate", arg, minimum=0)


def _check_round(arg: str) -> None:
    _int_arg("round", arg, blank=0, minimum=-15)


def _check_value_map(arg: str) -> None:
    _json_object(arg)


def _check_hook(arg: str) -> None:
    _load_hook(arg.strip())


def _check_template(arg: str) -> None:
    if not arg.strip():
        raise TransformError("template needs a text such as 'Order {name} for {partner_id}'")
    try:
        parse_template(arg)
    except TemplateError as exc:
        raise TransformError(f"template: {exc}") from None


def _check_date_format(arg: str) -> None:
    if arg and "%" not in arg:
        raise TransformError(f"date_format needs a strftime format such as '%d/%m/%Y', got {arg!r}")


def _value_map_sample(arg: str) -> Any:
    """The first key of the map, so the sample maps (None when the map has no key)."""
    try:
        keys = list(json.loads(arg or "{}"))
    except (ValueError, TypeError):
        keys = []
    return keys[0] if keys else None


def _sample(value: Any) -> Callable[[str], Any]:
    return lambda arg: value


Fn = Callable[[Any, str, dict], Any]


@dataclass(frozen=True)
class Transform:
    """One payload transform.

    fn(value, arg, context) transforms a value; check_arg(arg) raises TransformError for an
    argument that can never work (run at save time); elementwise: applied to each element of an
    x2many list rather than to the list; sees_unset: called with unset values (None/False/[]),
    which the others pass through untouched so the payload field's default can apply;
    sample(arg): a raw record value the transform accepts, for "send test now" (None: a value
    of the field's type).
    """

    fn: Fn
    check_arg: Callable[[str], None] = _no_arg_check
    elementwise: bool = True
    sees_unset: bool = False
    sample: Callable[[str], Any] | None = None


DATETIME_SAMPLE = "2026-01-31 12:00:00"
TRANSFORMS: dict[str, Transform] = {
    "upper": Transform(_upper),
    "lower": Transform(_lower),
    "strip": Transform(_strip),
    "truncate": Transform(_truncate, check_arg=_check_truncate),
    "round": Transform(_round, check_arg=_check_round, sample=_sample(4.2)),
    "int": Transform(_int, sample=_sample(42)),
    "float": Transform(_float, sample=_sample(4.2)),
    "str": Transform(_str),
    "bool": Transform(_bool, elementwise=False, sees_unset=True, sample=_sample(True)),
    "date_format": Transform(
        _date_format, check_arg=_check_date_format, sample=_sample(DATETIME_SAMPLE)
    ),
    "iso_datetime": Transform(_iso_datetime, sample=_sample(DATETIME_SAMPLE)),
    "value_map": Transform(
        _value_map,
        check_arg=_check_value_map,
        elementwise=False,
        sees_unset=True,
        sample=_value_map_sample,
    ),
    "m2o_id": Transform(_m2o_id, sample=_sample([1, "Sample"])),
    "m2o_name": Transform(_m2o_name, sample=_sample([1, "Sample"])),
    "join": Transform(_join, elementwise=False, sample=_sample(["Sample A", "Sample B"])),
    "template": Transform(_template, check_arg=_check_template, elementwise=False, sees_unset=True),
    "hook": Transform(_hook, check_arg=_check_hook, elementwise=False, sees_unset=True),
}


def validate_transform(name: str, arg: str = "") -> None:
    """Check a transform name and its argument at save time; raise TransformError if bad."""
    if not name:
        return
    if name not in TRANSFORMS:
        raise TransformError(f"unknown transform {name!r} (known: {', '.join(TRANSFORMS)})")
    TRANSFORMS[name].check_arg(arg or "")


def apply_transform(
    name: str, value: Any, arg: str = "", *, context: dict[str, Any] | None = None
) -> Any:
    """Transform ``value`` by ``name`` (a rules.models.Transform value); "" leaves it as is."""
    if not name:
        return value
    spec = TRANSFORMS.get(name)
    if spec is None:
        raise TransformError(f"unknown transform {name!r}")
    arg = arg or ""
    context = context or {}
    if is_unset(value) and not spec.sees_unset:
        return value
    if spec.elementwise and isinstance(value, list | tuple) and not is_many2one(value):
        return [v if is_unset(v) else spec.fn(v, arg, context) for v in value]
    return spec.fn(value, arg, context)
