"""Build one delivery attempt's HTTP request: §4 headers, auth, signatures, redaction.

The URL and body are fixed once per delivery by rules.planning (stored on the log, so every
retry sends the same bytes under the same ``webhook-id``); :func:`compose` adds the
per-attempt headers (timestamp, signatures, current credentials).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from hub.crypto import split_secrets
from hub.lib.http import user_agent
from hub.lib.redaction import is_secret_header
from hub.lib.signing import HUB_HEADER, STANDARD_HEADER, signature_headers
from rules.models import AuthType, WebhookRule

REDACTED = "***"

# Set by the hub on every attempt; a rule's custom headers cannot override them.
PROTECTED_HEADERS = frozenset(
    h.lower()
    for h in (
        "webhook-id",
        "webhook-timestamp",
        STANDARD_HEADER,
        "X-Webhook-Id",
        "X-Webhook-Timestamp",
        HUB_HEADER,
        "X-Webhook-Event",
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
    )
)
SIGNATURE_NAMES = frozenset({STANDARD_HEADER.lower(), HUB_HEADER.lower()})


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def auth_headers(rule: WebhookRule) -> dict[str, str]:
    if rule.auth_type == AuthType.BASIC:
        pair = f"{rule.auth_username}:{rule.auth_password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if rule.auth_type == AuthType.BEARER:
        return {"Authorization": f"Bearer {rule.auth_token}"}
    if rule.auth_type == AuthType.API_KEY:
        return {rule.api_key_header or "X-API-Key": rule.api_key}
    return {}


def compose(
    *,
    rule: WebhookRule,
    method: str,
    url: str,
    body: bytes,
    delivery_id: str,
    event_type: str,
    timestamp: int,
) -> OutboundRequest:
    """The full request of one attempt (unredacted: this is what goes on the wire)."""
    headers: dict[str, str] = {"Content-Type": "application/json", "User-Agent": user_agent()}
    _merge(
        headers,
        {k: v for k, v in (rule.headers or {}).items() if k.lower() not in PROTECTED_HEADERS},
    )
    _merge(headers, auth_headers(rule))
    _merge(
        headers,
        {
            "webhook-id": delivery_id,
            "X-Webhook-Id": delivery_id,
            "webhook-timestamp": str(timestamp),
            "X-Webhook-Timestamp": str(timestamp),
            "X-Webhook-Event": event_type,
        },
    )
    secrets = split_secrets(rule.secret or "")
    _merge(
        headers,
        signature_headers(secrets=secrets, msg_id=delivery_id, timestamp=timestamp, body=body),
    )
    return OutboundRequest(method=method, url=url, headers=headers, body=body)


def _merge(headers: dict[str, str], extra: dict[str, str]) -> None:
    """Case-insensitive update: a later `authorization` replaces an earlier `Authorization`."""
    if not extra:
        return
    spelled = {k.lower(): k for k in headers}  # one spelling per name: every merge keeps it so
    for key, value in extra.items():
        lower = key.lower()
        if (existing := spelled.get(lower)) is not None:
            del headers[existing]
        headers[key] = value
        spelled[lower] = key


def redact(
    headers: dict[str, str], *, rule: WebhookRule, keep_signatures: bool = False
) -> dict[str, str]:
    """A copy safe to store or show: credentials (and, unless kept, signatures) masked."""
    secret_names: set[str] = set()
    if rule.auth_type == AuthType.API_KEY:
        secret_names.add((rule.api_key_header or "X-API-Key").lower())
    if not keep_signatures:
        secret_names |= SIGNATURE_NAMES
    out = {}
    for key, value in headers.items():
        lower = key.lower()
        # The same names the rule API and admin treat as write-only (hub.lib.redaction).
        hinted = lower not in SIGNATURE_NAMES and is_secret_header(lower)
        out[key] = REDACTED if lower in secret_names or hinted else value
    return out
