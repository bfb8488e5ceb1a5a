"""Which idempotency key a request carries (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from hub.lib.paths import get_path
from inbound.schemes import SCHEMES, header_value

MAX_KEY = 255


def _text(value: Any) -> str | None:
    if value is None or value is False or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > MAX_KEY:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def _candidates(headers: Mapping[str, str], payload: Any, scheme: str, path: str) -> Iterator[Any]:
    # A configured JSON path comes first: it is an explicit choice, then the scheme's own key
    # in the body, then every scheme's delivery-id headers (a sender may be labelled loosely).
    if path:
        yield get_path(payload, path)
    entry = SCHEMES.get(scheme)
    if entry is not None and entry.body_key is not None:
        yield entry.body_key(payload)
    for each in SCHEMES.values():
        for name in each.idempotency_headers:
            yield header_value(headers, name)


def idempotency_key(
    *, headers: Mapping[str, str], payload: Any, scheme: str, path: str = ""
) -> str | None:
    """The key, or None when the request carries none (it is then never a duplicate)."""
    return next(
        (key for key in map(_text, _candidates(headers, payload, scheme, path)) if key), None
    )
