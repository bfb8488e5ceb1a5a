"""Inbound signature checks: one pure function per scheme, constant-time, several secrets."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hub.lib import signing
from hub.lib.signing import any_equal, mac, signing_keys

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
class Inbound:
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


def _keys(req: Inbound) -> Verdict | list[bytes]:
    # A mistyped secret must refuse (and say so on the stored row), never raise a 500.
    keys = signing_keys(req.secrets)
    return keys or fail("the source's secret is not a valid whsec_ secret")


def _timestamp(value: str, req: Inbound) -> Verdict | int:
    try:
        ts = int(value)
    except ValueError:
        return fail("malformed timestamp")
    if abs(req.now - ts) > req.tolerance:
        return fail(f"timestamp outside the ±{req.tolerance}s window (skew {req.now - ts}s)")
    return ts


def _need(req: Inbound, *names: str) -> Verdict | list[str]:
    values = [req.header(n) for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        return fail("missing header " + ", ".join(missing))
    if not req.secrets:
        return fail("the source has no secret configured")
    return values


def verify_none(req: Inbound) -> Verdict:
    """The unguessable slug in the URL is the secret; there is nothing else to check."""
    return Verdict(True, required=False)


def verify_hmac(req: Inbound) -> Verdict:
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


def verify_standard(req: Inbound) -> Verdict:
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


def verify_github(req: Inbound) -> Verdict:
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


def verify_stripe(req: Inbound) -> Verdict:
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


def verify_shopify(req: Inbound) -> Verdict:
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


def verify_basic(req: Inbound) -> Verdict:
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


def verify_api_key(req: Inbound) -> Verdict:
    """A shared key in a configurable header (X-API-Key by default)."""
    got = _need(req, req.api_key_header or "X-API-Key")
    if isinstance(got, Verdict):
        return got
    expected = [s.encode() for s in req.secrets]
    return ok() if any_equal([got[0].encode()], expected) else fail("wrong API key")


def verify_bearer(req: Inbound) -> Verdict:
    """Authorization: Bearer <token>."""
    got = _need(req, "Authorization")
    if isinstance(got, Verdict):
        return got
    scheme, _, token = got[0].partition(" ")
    if scheme.lower() != "bearer":
        return fail("Authorization is not Bearer")
    expected = [s.encode() for s in req.secrets]
    return ok() if any_equal([token.strip().encode()], expected) else fail("wrong token")


SCHEMES: dict[str, Callable[[Inbound], Verdict]] = {
    "none": verify_none,
    "hmac": verify_hmac,
    "standard": verify_standard,
    "github": verify_github,
    "stripe": verify_stripe,
    "shopify": verify_shopify,
    "basic": verify_basic,
    "api_key": verify_api_key,
    "bearer": verify_bearer,
}


def verify(scheme: str, req: Inbound) -> Verdict:
    check = SCHEMES.get(scheme)
    if check is None:
        return fail(f"unknown verification scheme {scheme!r}")
    return check(req)
