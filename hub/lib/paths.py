"""Dotted paths into Odoo-shaped record data: dicts, many2one [id, name] pairs, x2many lists."""

from __future__ import annotations

import json
from typing import Any

NAME_KEYS = ("display_name", "name")


def is_many2one(value: Any) -> bool:
    """Odoo's XML-RPC many2one shape: ``[id, "display name"]``."""
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    )


def is_unset(value: Any) -> bool:
    """Odoo's "not set": False, None, or an empty x2many list (0 and "" are real values)."""
    return value is None or value is False or (isinstance(value, list | tuple) and not value)


def relation_id(value: Any) -> Any:
    """The id of a many2one pair or an expanded related record; other values unchanged."""
    if is_many2one(value):
        return value[0]
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    return value


def relation_name(value: Any) -> Any:
    """The display name of a many2one pair or an expanded related record."""
    if is_many2one(value):
        return value[1]
    if isinstance(value, dict):
        for key in NAME_KEYS:
            if isinstance(value.get(key), str):
                return value[key]
        return None
    return value


def _step(value: Any, segment: str) -> Any:
    """Follow one path segment from a single (non-list) value."""
    if isinstance(value, dict):
        return value.get(segment)
    if is_many2one(value):
        # A bare pair only carries its id and name: deeper fields were not read.
        if segment == "id":
            return value[0]
        if segment in NAME_KEYS:
            return value[1]
    return None


def _is_many(value: Any) -> bool:
    return isinstance(value, list | tuple) and not is_many2one(value)


def get_path(data: Any, path: str) -> Any:
    """Value at a dotted ``path`` (``partner_id.country_id.code``); None when absent or unset.

    Through an x2many (a list), the remaining path is applied to every element and the result is
    a flat list of values (``order_line.product_id.name`` -> ``["Desk", "Chair"]``), like Odoo's
    ``mapped``. A numeric segment indexes a list (``order_line.0.name``).
    """
    value = data
    for segment in path.split(".") if path else ():
        if value is None or value is False:
            return None
        if _is_many(value):
            if segment.isdigit():
                index = int(segment)
                value = value[index] if index < len(value) else None
                continue
            value = _map(value, segment)
            continue
        value = _step(value, segment)
    return value


def _map(items: Any, segment: str) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if _is_many(item):
            out.extend(_map(item, segment))
            continue
        if isinstance(item, int) and not isinstance(item, bool):
            # x2many read as a list of ids: only ``id`` is known about each element.
            out.append(item if segment == "id" else None)
            continue
        found = _step(item, segment)
        if _is_many(found):
            out.extend(found)
        else:
            out.append(found)
    return out


def as_text(value: Any) -> str:
    """Text form of a value: a relation's name, JSON spelling for booleans, lists joined by ", "."""
    if value is None or value is False:
        return ""
    if is_many2one(value):
        return value[1]
    if isinstance(value, dict):
        name = relation_name(value)
        return name if isinstance(name, str) else json.dumps(value, default=str)
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if isinstance(value, list | tuple):
        return ", ".join(as_text(v) for v in value if not is_unset(v))
    return str(value)
