"""Inbound signature schemes: one ``Scheme`` entry each in ``SCHEMES`` (the only table to extend).

A scheme says how a request is verified (pure, constant-time, several secrets), which headers a
sender's example request carries, which headers carry its delivery id (idempotency), and what
shape its secret has (generated here, or issued by the sender). Adding a scheme = one entry
here + one ``Verification`` choice in inbound/models.py (a test keeps the two equal).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets as random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.crypto import generate_signing_secret
from hub.lib import signing
from hub.lib.signing import any_equal, mac, signing_key, signing_keys

DEFAULT_TOLERANCE = 300  # seconds either side of "now" for timestamped schemes


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check. ``reason`` is stored on the request row, never sent to the caller."""

    ok: bool
    reason: str = ""
    required: bool = True  # False for the ``none`` scheme: nothing was checked but the slug

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class SignedRequest:
    """What a check needs from a request and its source; header names are case-insensitive."""

    body: bytes
    headers: Mapping[str, str]
    secrets: list[str] = field(default_factory=list)
    now: int = 0  # unix seconds
    tolerance: int = DEFAULT_TOLERANCE
    api_key_header: str = "X-API-Key"

    def header(self, name: str) -> str:
        return header_value(self.headers, name)


def header_value(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name, stripped; "" when absent."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), "")
    return value.strip()


def ok() -> Verdict:
    return Verdict(True)


def fail(reason: str) -> Verdict:
    return Verdict(False, reason)


def _keys(req: SignedRequest) -> Verdict | list[bytes]:
    # A mistyped secret must refuse (and say so on the stored row), never raise a 500.
    keys = signing_keys(req.secrets)
    return keys or fail("the source's secret is not a valid whsec_ secret")


def _timestamp(value: str, req: SignedRequest) -> Verdict | int:
    try:
        ts = int(value)
    except ValueError:
        return fail("malformed timestamp")
    if abs(req.now - ts) > req.tolerance:
        return fail(f"timestamp outside the ±{req.tolerance}s window (skew {req.now - ts}s)")
    return ts


def _need(req: SignedRequest, *names: str) -> Verdict | list[str]:
    values = [req.header(n) for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        return fail("missing header " + ", ".join(missing))
    if not req.secrets:
        return fail("the source has no secret configured")
    return values


def verify_none(req: SignedRequest) -> Verdict:
    """The unguessable slug in the URL is the secret; there is nothing else to check."""
    return Verdict(True, required=False)


def verify_hmac(req: SignedRequest) -> Verdict:
    """The hub's own outbound scheme: X-Webhook-Signature: sha256=<hex(key, "{ts}.{body}")>."""
    got = _need(req, "X-Webhook-Signature", "X-Webhook-Timestamp")
    if isinstance(got, Verdict):
        return got
    signature, ts_header = got
    ts = _timestamp(ts_header, req)
    if isinstance(ts, Verdict):
        return ts
    keys = _keys(req)
    if isinstance(keys, Verdict):
        return keys
    matches = signing.hub_signature_matches(
        header=signature, secrets=req.secrets, timestamp=ts_header, body=req.body
    )
    return ok() if matches else fail("signature mismatch")


def verify_standard(req: SignedRequest) -> Verdict:
    """Standard Webhooks: v1,<base64(HMAC(key, "{id}.{ts}.{body}"))>, space separated."""
    got = _need(req, "webhook-id", "webhook-timestamp", "webhook-signature")
    if isinstance(got, Verdict):
        return got
    msg_id, ts_header, signature = got
    ts = _timestamp(ts_header, req)
    if isinstance(ts, Verdict):
        return ts
    keys = _keys(req)
    if isinstance(keys, Verdict):
        return keys
    matches = signing.standard_signature_matches(
        header=signature, secrets=req.secrets, msg_id=msg_id, timestamp=ts_header, body=req.body
    )
    return ok() if matches else fail("signature mismatch")


def verify_github(req: SignedRequest) -> Verdict:
    """GitHub: X-Hub-Signature-256: sha256=<hex(HMAC(secret, body))>; the secret is used raw."""
    got = _need(req, "X-Hub-Signature-256")
    if isinstance(got, Verdict):
        return got
    (signature,) = got
    if not signature.startswith("sha256="):
        return fail("signature is not sha256=")
    expected = [mac(s.encode(), req.body).hex().encode() for s in req.secrets]
    given = [signature[len("sha256=") :].lower().encode()]
    return ok() if any_equal(given, expected) else fail("signature mismatch")


def verify_stripe(req: SignedRequest) -> Verdict:
    """Stripe: Stripe-Signature: t=<ts>,v1=<hex>[,v1=...] over "{t}.{body}", key = whsec_ string."""
    got = _need(req, "Stripe-Signature")
    if isinstance(got, Verdict):
        return got
    (header,) = got
    pairs = [p.strip().partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in pairs if k == "t"]
    given = [v.lower().encode() for k, _, v in pairs if k == "v1"]
    if not stamps or not given:
        return fail("Stripe-Signature lacks t= or v1=")
    ts = _timestamp(stamps[0], req)
    if isinstance(ts, Verdict):
        return ts
    message = stamps[0].encode() + b"." + req.body
    # Stripe keys the HMAC with the whole secret string, prefix included (unlike Standard Webhooks).
    expected = [mac(s.encode(), message).hex().encode() for s in req.secrets]
    return ok() if any_equal(given, expected) else fail("signature mismatch")


def verify_shopify(req: SignedRequest) -> Verdict:
    """Shopify: X-Shopify-Hmac-Sha256: base64(HMAC(secret, body)); the secret is used raw."""
    got = _need(req, "X-Shopify-Hmac-Sha256")
    if isinstance(got, Verdict):
        return got
    (signature,) = got
    try:
        given = [base64.b64decode(signature, validate=True)]
    except (binascii.Error, ValueError):
        return fail("signature is not base64")
    expected = [mac(s.encode(), req.body) for s in req.secrets]
    return ok() if any_equal(given, expected) else fail("signature mismatch")


def verify_basic(req: SignedRequest) -> Verdict:
    """HTTP Basic: each secret is "user:password"."""
    got = _need(req, "Authorization")
    if isinstance(got, Verdict):
        return got
    (header,) = got
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return fail("Authorization is not Basic")
    try:
        given = [base64.b64decode(value.strip(), validate=True)]
    except (binascii.Error, ValueError):
        return fail("Authorization Basic value is not base64")
    expected = [s.encode() for s in req.secrets]
    return ok() if any_equal(given, expected) else fail("wrong user or password")


def verify_api_key(req: SignedRequest) -> Verdict:
    """A shared key in a configurable header (X-API-Key by default)."""
    got = _need(req, req.api_key_header or "X-API-Key")
    if isinstance(got, Verdict):
        return got
    expected = [s.encode() for s in req.secrets]
    return ok() if any_equal([got[0].encode()], expected) else fail("wrong API key")


def verify_bearer(req: SignedRequest) -> Verdict:
    """Authorization: Bearer <token>."""
    got = _need(req, "Authorization")
    if isinstance(got, Verdict):
        return got
    scheme, _, token = got[0].partition(" ")
    if scheme.lower() != "bearer":
        return fail("Authorization is not Bearer")
    expected = [s.encode() for s in req.secrets]
    return ok() if any_equal([token.strip().encode()], expected) else fail("wrong token")


def _hex(key: bytes, message: bytes) -> str:
    return mac(key, message).hex()


def example_hmac(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    signature = signing.hub_signature(secrets=[secret], timestamp=now, body=body)
    return {"X-Webhook-Timestamp": str(now), signing.HUB_HEADER: signature}


def example_standard(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    msg_id = f"msg_{uuid.uuid4().hex}"
    signature = signing.standard_signature(
        secrets=[secret], msg_id=msg_id, timestamp=now, body=body
    )
    return {"webhook-id": msg_id, "webhook-timestamp": str(now), signing.STANDARD_HEADER: signature}


def example_github(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + _hex(secret.encode(), body),
    }


def example_stripe(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {"Stripe-Signature": f"t={now},v1={_hex(secret.encode(), f'{now}.'.encode() + body)}"}


def example_shopify(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Hmac-Sha256": base64.b64encode(mac(secret.encode(), body)).decode(),
    }


def example_basic(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def example_api_key(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {api_key_header or "X-API-Key": secret}


def example_bearer(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def example_none(secret: str, body: bytes, now: int, api_key_header: str) -> dict[str, str]:
    return {}


def stripe_event_id(payload: Any) -> Any:
    """Stripe's event id (evt_...): the same on every redelivery."""
    return payload.get("id") if isinstance(payload, dict) else None


def stripe_example_body() -> dict[str, Any]:
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "type": "example.ping", "data": {}}


def body_digest(payload: Any) -> str | None:
    """``body:sha256:<hex>`` of the payload in canonical JSON (key order and spacing ignored)."""
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
    return "body:sha256:" + hashlib.sha256(text.encode()).hexdigest()


WHSEC_HINT = (
    "is not a valid whsec_ secret: expected whsec_ followed by base64 (Standard Webhooks "
    "secrets always carry the whsec_ prefix; add it if the sender showed only the base64 part)."
)


def whsec_secret_ok(value: str) -> bool:
    return signing_key(value) is not None


def standard_secret_ok(value: str) -> bool:
    return value.startswith(signing.WHSEC) and signing_key(value) is not None


def basic_secret() -> str:
    return "webhook:" + random.token_urlsafe(24)


def basic_secret_ok(value: str) -> bool:
    return ":" in value


def token_secret() -> str:
    return random.token_urlsafe(32)


def any_secret_ok(value: str) -> bool:
    return True


@dataclass(frozen=True)
class Scheme:
    """One signature scheme: everything the hub needs to know about it, in one place."""

    name: str
    verify: Callable[[SignedRequest], Verdict]
    # The headers a sender using this scheme adds to ``body`` at ``now`` (the admin's curl).
    example_headers: Callable[[str, bytes, int, str], dict[str, str]]
    # A fresh secret of the right shape; None when the sender issues it (paste it in).
    new_secret: Callable[[], str] | None = token_secret
    secret_ok: Callable[[str], bool] = any_secret_ok
    secret_hint: str = "is not valid for this scheme."
    # Headers in which senders of this scheme put their delivery id (checked for every source).
    idempotency_headers: tuple[str, ...] = ()
    # A key taken from the body that beats any header for this scheme's sources.
    body_key: Callable[[Any], Any] | None = None
    example_body: Callable[[], dict[str, Any]] | None = None
    uses_secret: bool = True  # False for "none": the slug is the secret

    @property
    def sender_chosen(self) -> bool:
        return self.new_secret is None


def _entries(*schemes: Scheme) -> dict[str, Scheme]:
    return {s.name: s for s in schemes}


# The order of the entries is the order in which idempotency headers are looked at.
SCHEMES: dict[str, Scheme] = _entries(
    Scheme(
        "none", verify_none, example_none, new_secret=None, uses_secret=False,
    ),
    Scheme(
        "standard", verify_standard, example_standard,
        new_secret=generate_signing_secret, secret_ok=standard_secret_ok,
        secret_hint=WHSEC_HINT, idempotency_headers=("webhook-id",),
    ),
    Scheme(
        # The hub's own scheme signs "{timestamp}.{body}" but not the id, so a captured request
        # could come back under a fresh X-Webhook-Id. The signed body is the key: a replay (any
        # id) is a duplicate, and so is the sender's own retry, because the hub sends the same
        # body (with its unique event id) on every attempt of a delivery.
        "hmac", verify_hmac, example_hmac,
        new_secret=generate_signing_secret, secret_ok=whsec_secret_ok, secret_hint=WHSEC_HINT,
        idempotency_headers=("X-Webhook-Id",), body_key=body_digest,
    ),
    Scheme(
        "github", verify_github, example_github, idempotency_headers=("X-GitHub-Delivery",),
    ),
    Scheme(
        "stripe", verify_stripe, example_stripe, new_secret=None,
        body_key=stripe_event_id, example_body=stripe_example_body,
    ),
    Scheme(
        "shopify", verify_shopify, example_shopify, new_secret=None,
        idempotency_headers=("X-Shopify-Webhook-Id",),
    ),
    Scheme(
        "basic", verify_basic, example_basic, new_secret=basic_secret,
        secret_ok=basic_secret_ok, secret_hint='is not "user:password".',
    ),
    Scheme("api_key", verify_api_key, example_api_key),
    Scheme("bearer", verify_bearer, example_bearer),
)  # fmt: skip


def verify(scheme: str, req: SignedRequest) -> Verdict:
    entry = SCHEMES.get(scheme)
    if entry is None:
        return fail(f"unknown verification scheme {scheme!r}")
    return entry.verify(req)
