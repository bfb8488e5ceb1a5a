"""Which idempotency key a request carries (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from inbound.verification import header_value
from rules.paths import get_path

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


def body_digest(payload: Any) -> str | None:
    """``body:sha256:<hex>`` of the payload in canonical JSON (key order and spacing ignored)."""
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
    return "body:sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _candidates(headers: Mapping[str, str], payload: Any, scheme: str, path: str) -> Iterator[Any]:
    # A configured JSON path comes first: it is an explicit choice. Then the documented order.
    if path:
        yield get_path(payload, path)
    if scheme == "hmac":
        # The hub's own hmac scheme signs "{timestamp}.{body}" but not the id, so a captured
        # request could come back under a fresh X-Webhook-Id. The signed body is the key: a
        # replay (any id) is a duplicate, and so is the sender's own retry, because the hub
        # sends the same body (with its unique event id) on every attempt of a delivery.
        yield body_digest(payload)
    yield header_value(headers, "webhook-id")
    yield header_value(headers, "X-Webhook-Id")
    yield header_value(headers, "X-GitHub-Delivery")
    if scheme == "stripe" and isinstance(payload, dict):
        yield payload.get("id")  # Stripe's event id (evt_...): the same on every redelivery
    yield header_value(headers, "X-Shopify-Webhook-Id")


def idempotency_key(
    *, headers: Mapping[str, str], payload: Any, scheme: str, path: str = ""
) -> str | None:
    """The key, or None when the request carries none (it is then never a duplicate)."""
    return next(
        (key for key in map(_text, _candidates(headers, payload, scheme, path)) if key), None
    )
