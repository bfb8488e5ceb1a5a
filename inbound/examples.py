"""Copy-paste examples for the admin: a curl command signed for the source's scheme (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shlex
import uuid
from typing import Any

from hub.lib import signing

SAMPLE = {"type": "example.ping", "data": {"id": 1, "name": "Hello from curl"}}
ODOO_SAMPLE = {"_model": "res.partner", "_id": 1, "_action": "Notify hub(#1)", "name": "Hello"}


def _hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(
    scheme: str, *, secret: str, body: bytes, now: int, api_key_header: str = "X-API-Key"
) -> dict[str, str]:
    """The headers a sender using ``scheme`` would add to ``body`` at time ``now``."""
    if scheme == "hmac":
        signature = signing.hub_signature(secrets=[secret], timestamp=now, body=body)
        return {"X-Webhook-Timestamp": str(now), signing.HUB_HEADER: signature}
    if scheme == "standard":
        msg_id = f"msg_{uuid.uuid4().hex}"
        signature = signing.standard_signature(
            secrets=[secret], msg_id=msg_id, timestamp=now, body=body
        )
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(now),
            signing.STANDARD_HEADER: signature,
        }
    if scheme == "github":
        return {
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": "sha256=" + _hex(secret.encode(), body),
        }
    if scheme == "stripe":
        return {
            "Stripe-Signature": f"t={now},v1={_hex(secret.encode(), f'{now}.'.encode() + body)}"
        }
    if scheme == "shopify":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return {
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        }
    if scheme == "basic":
        return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
    if scheme == "api_key":
        return {api_key_header or "X-API-Key": secret}
    if scheme == "bearer":
        return {"Authorization": f"Bearer {secret}"}
    return {}


def sample_body(handler: str, scheme: str) -> dict[str, Any]:
    if handler == "odoo_native":
        return ODOO_SAMPLE
    if scheme == "stripe":
        return {"id": f"evt_{uuid.uuid4().hex[:24]}", "type": "example.ping", "data": {}}
    return SAMPLE


def curl_command(
    *, url: str, scheme: str, secret: str, now: int, handler: str = "store",
    api_key_header: str = "X-API-Key",
) -> str:  # fmt: skip
    body = json.dumps(sample_body(handler, scheme), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    headers.update(
        signed_headers(scheme, secret=secret, body=body, now=now, api_key_header=api_key_header)
    )
    lines = [f"curl -sS -X POST {shlex.quote(url)}"]
    lines += [f"  -H {shlex.quote(f'{k}: {v}')}" for k, v in headers.items()]
    lines.append(f"  --data-raw {shlex.quote(body.decode())}")
    return " \\\n".join(lines)
