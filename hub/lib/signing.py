"""Webhook signatures (HMAC-SHA256), both directions: the hub scheme and Standard Webhooks.

Delivery signs with these, inbound verifies with these and the admin's curl examples sign with
these, so "two hubs can talk" holds by construction. Several secrets may be active while
rotating; every usable secret signs, and a signature matches when any entry matches any secret:
- ``webhook-signature: v1,<b64> v1,<b64>`` over "{id}.{timestamp}.{body}" (space separated, as
  Standard Webhooks specifies);
- ``X-Webhook-Signature: sha256=<hex>,sha256=<hex>`` over "{timestamp}.{body}" (comma separated).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Sequence

WHSEC = "whsec_"
STANDARD_HEADER = "webhook-signature"
HUB_HEADER = "X-Webhook-Signature"


def signing_key(secret: str) -> bytes | None:
    """The HMAC key of a secret, or None when it cannot be one.

    ``whsec_<base64>`` is decoded strictly; any other secret is used raw. An empty key is never
    a key: it would let anyone sign. The same rule holds for signing and for verifying.
    """
    if not secret.startswith(WHSEC):
        return secret.encode() or None
    try:
        key = base64.b64decode(secret[len(WHSEC) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def signing_keys(secrets: Iterable[str]) -> list[bytes]:
    """The usable keys of ``secrets``, in order; unusable secrets are skipped."""
    return [k for k in map(signing_key, secrets) if k is not None]


def mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant-time comparison of any two strings (compare_digest refuses non-ASCII str)."""
    left = a.encode() if isinstance(a, str) else a
    right = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


def any_equal(candidates: Sequence[bytes], expected: Sequence[bytes]) -> bool:
    # Every pair is compared, so the time taken does not depend on which one matched.
    found = False
    for c in candidates:
        for e in expected:
            found |= equal(c, e)
    return found


def hub_message(*, timestamp: int | str, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


def standard_message(*, msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def hub_signature(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The hub's own scheme: HMAC-SHA256 over "{timestamp}.{body}", hex, "sha256=" prefixed."""
    message = hub_message(timestamp=timestamp, body=body)
    return ",".join("sha256=" + mac(k, message).hex() for k in signing_keys(secrets))


def standard_signature(*, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: HMAC-SHA256 over "{id}.{timestamp}.{body}", base64, "v1," prefixed."""
    message = standard_message(msg_id=msg_id, timestamp=timestamp, body=body)
    return " ".join(
        "v1," + base64.b64encode(mac(k, message)).decode() for k in signing_keys(secrets)
    )


def signature_headers(
    *, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Both signature headers of an outbound delivery ({} when no secret can sign)."""
    if not signing_keys(secrets):
        return {}
    return {
        STANDARD_HEADER: standard_signature(
            secrets=secrets, msg_id=msg_id, timestamp=timestamp, body=body
        ),
        HUB_HEADER: hub_signature(secrets=secrets, timestamp=timestamp, body=body),
    }


def hub_signature_matches(
    *, header: str, secrets: Sequence[str], timestamp: str, body: bytes
) -> bool:
    """Whether an ``X-Webhook-Signature`` value signs ``body`` at ``timestamp`` (as sent)."""
    message = hub_message(timestamp=timestamp, body=body)
    expected = [mac(k, message).hex().encode() for k in signing_keys(secrets)]
    given = [
        part.strip()[len("sha256=") :].lower().encode()
        for part in header.split(",")
        if part.strip().startswith("sha256=")
    ]
    return any_equal(given, expected)


def standard_signature_matches(
    *, header: str, secrets: Sequence[str], msg_id: str, timestamp: str, body: bytes
) -> bool:
    """Whether a ``webhook-signature`` value signs ``body`` for ``msg_id`` at ``timestamp``."""
    message = standard_message(msg_id=msg_id, timestamp=timestamp, body=body)
    expected = [mac(k, message) for k in signing_keys(secrets)]
    given = []
    for part in header.split():
        version, _, value = part.partition(",")
        if version != "v1":
            continue
        try:
            given.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return any_equal(given, expected)
