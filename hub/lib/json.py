"""JSON the hub stores holds finite numbers only: NaN and Infinity are not JSON (RFC 8259).

Python's ``json`` reads ``NaN``/``Infinity`` literals and ``1e999`` (as infinity) and writes them
back; PostgreSQL ``jsonb`` refuses them, so they are bad input, found here before they are stored.
"""

from __future__ import annotations

import math
from typing import Any

MESSAGE = "NaN and Infinity are not valid JSON numbers"


def non_finite_path(value: Any) -> str | None:
    """Where the first NaN or ±Infinity sits in a decoded value (``"a.b[2]"``; ``""`` for the
    value itself), or None when every number is finite."""
    stack: list[tuple[str, Any]] = [("", value)]  # iterative: nesting as deep as the parser allows
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path
        if isinstance(item, dict):
            children = [(f"{path}.{key}" if path else str(key), v) for key, v in item.items()]
        elif isinstance(item, list | tuple):
            children = [(f"{path}[{n}]", v) for n, v in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))  # reversed: the first one in document order is found
    return None


def non_finite_message(value: Any, *, where: str = "") -> str | None:
    """A message naming the NaN/Infinity inside ``value`` (prefixed by ``where``), or None."""
    path = non_finite_path(value)
    if path is None:
        return None
    joiner = "" if path.startswith("[") or not where or not path else "."
    name = f"{where}{joiner}{path}" or "the value"
    return f"{name}: {MESSAGE}"
