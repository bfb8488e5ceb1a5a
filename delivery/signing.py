"""Outbound signatures: Standard Webhooks `webhook-signature` and the hub's `X-Webhook-Signature`.

Several secrets may be active while rotating; every active secret signs:
- ``webhook-signature: v1,<b64> v1,<b64>`` (space separated, as Standard Webhooks specifies);
- ``X-Webhook-Signature: sha256=<hex>,sha256=<hex>`` (comma separated; a receiver accepts the
  request when any entry matches).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from hub.crypto import signing_key

STANDARD_HEADER = "webhook-signature"
HUB_HEADER = "X-Webhook-Signature"


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(signing_key(secret), message, hashlib.sha256).digest()


def standard_signature(*, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: HMAC-SHA256 over "{id}.{timestamp}.{body}", base64, "v1," prefixed."""
    message = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(_hmac(s, message)).decode() for s in secrets)


def hub_signature(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The hub's own scheme: HMAC-SHA256 over "{timestamp}.{body}", hex, "sha256=" prefixed."""
    message = f"{timestamp}.".encode() + body
    return ",".join("sha256=" + _hmac(s, message).hex() for s in secrets)


def signature_headers(
    *, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    if not secrets:
        return {}
    return {
        STANDARD_HEADER: standard_signature(
            secrets=secrets, msg_id=msg_id, timestamp=timestamp, body=body
        ),
        HUB_HEADER: hub_signature(secrets=secrets, timestamp=timestamp, body=body),
    }
