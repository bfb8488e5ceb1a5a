"""Each verification scheme accepts a genuine request and refuses forged, partial or stale ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from hub.crypto import generate_signing_secret
from inbound.schemes import SignedRequest, Verdict, verify

BODY = b'{"id": "evt_1", "type": "order.paid", "amount": 1200}'
TAMPERED = b'{"id": "evt_1", "type": "order.paid", "amount": 9900}'
NOW = int(time.time())
STALE = NOW - 301

Signer = Callable[[str, bytes, int], dict[str, str]]


def _hex(key: bytes, msg: bytes) -> str:
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def sign_hmac(secret: str, body: bytes, ts: int) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return {
        "X-Webhook-Timestamp": str(ts),
        "X-Webhook-Signature": "sha256=" + _hex(key, f"{ts}.".encode() + body),
    }


def sign_standard(secret: str, body: bytes, ts: int) -> dict[str, str]:
    # Signed by the reference implementation, not by our code.
    signature = Webhook(secret).sign("msg_2Lh9", datetime.fromtimestamp(ts, tz=UTC), body.decode())
    return {"webhook-id": "msg_2Lh9", "webhook-timestamp": str(ts), "webhook-signature": signature}


def sign_github(secret: str, body: bytes, ts: int) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + _hex(secret.encode(), body)}


def sign_stripe(secret: str, body: bytes, ts: int) -> dict[str, str]:
    return {"Stripe-Signature": f"t={ts},v1={_hex(secret.encode(), f'{ts}.'.encode() + body)}"}


def sign_shopify(secret: str, body: bytes, ts: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode()}


def sign_basic(secret: str, body: bytes, ts: int) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def sign_api_key(secret: str, body: bytes, ts: int) -> dict[str, str]:
    return {"X-Partner-Key": secret}


def sign_bearer(secret: str, body: bytes, ts: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _secret(scheme: str) -> str:
    if scheme in {"hmac", "standard", "stripe"}:
        return generate_signing_secret()
    if scheme == "basic":
        return "shop:" + generate_signing_secret()[6:20]
    return generate_signing_secret()[6:40]


# (scheme, signer, header(s) whose absence must fail, timestamped, body-bound)
SCHEMES: list[tuple[str, Signer, str, bool, bool]] = [
    ("hmac", sign_hmac, "X-Webhook-Signature", True, True),
    ("standard", sign_standard, "webhook-signature", True, True),
    ("github", sign_github, "X-Hub-Signature-256", False, True),
    ("stripe", sign_stripe, "Stripe-Signature", True, True),
    ("shopify", sign_shopify, "X-Shopify-Hmac-Sha256", False, True),
    ("basic", sign_basic, "Authorization", False, False),
    ("api_key", sign_api_key, "X-Partner-Key", False, False),
    ("bearer", sign_bearer, "Authorization", False, False),
]
IDS = [s[0] for s in SCHEMES]


def _check(
    scheme: str, body: bytes, headers: dict[str, str], secrets: list[str], *, now: int = NOW
) -> Verdict:
    req = SignedRequest(
        body=body, headers=headers, secrets=secrets, now=now, api_key_header="X-Partner-Key"
    )
    return verify(scheme, req)


@pytest.mark.parametrize(("scheme", "sign", "header", "timed", "bound"), SCHEMES, ids=IDS)
def test_a_genuine_request_is_accepted(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    secret = _secret(scheme)
    verdict = _check(scheme, BODY, sign(secret, BODY, NOW), [secret])
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize(("scheme", "sign", "header", "timed", "bound"), SCHEMES, ids=IDS)
def test_a_request_signed_with_another_secret_is_refused(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    verdict = _check(scheme, BODY, sign(_secret(scheme), BODY, NOW), [_secret(scheme)])
    assert not verdict.ok
    assert verdict.reason


@pytest.mark.parametrize(("scheme", "sign", "header", "timed", "bound"), SCHEMES, ids=IDS)
def test_a_request_without_its_header_is_refused(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    secret = _secret(scheme)
    headers = {k: v for k, v in sign(secret, BODY, NOW).items() if k.lower() != header.lower()}
    verdict = _check(scheme, BODY, headers, [secret])
    assert not verdict.ok
    assert header.lower() in verdict.reason.lower()


@pytest.mark.parametrize(("scheme", "sign", "header", "timed", "bound"), SCHEMES, ids=IDS)
def test_a_tampered_body_is_refused_by_body_signing_schemes(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    secret = _secret(scheme)
    verdict = _check(scheme, TAMPERED, sign(secret, BODY, NOW), [secret])
    # Credential schemes (basic, api_key, bearer) do not sign the body: they rely on TLS.
    assert verdict.ok is (not bound)


@pytest.mark.parametrize(
    ("scheme", "sign", "header", "timed", "bound"), [s for s in SCHEMES if s[3]], ids=lambda v: v
)
def test_a_stale_timestamp_is_refused_even_with_a_valid_signature(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    secret = _secret(scheme)
    verdict = _check(scheme, BODY, sign(secret, BODY, STALE), [secret])
    assert not verdict.ok
    assert "window" in verdict.reason


@pytest.mark.parametrize(
    ("scheme", "sign", "header", "timed", "bound"), [s for s in SCHEMES if s[3]], ids=lambda v: v
)
def test_a_timestamp_from_the_future_is_refused(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    secret = _secret(scheme)
    verdict = _check(scheme, BODY, sign(secret, BODY, NOW + 301), [secret])
    assert not verdict.ok


@pytest.mark.parametrize(("scheme", "sign", "header", "timed", "bound"), SCHEMES, ids=IDS)
def test_the_old_secret_still_works_during_a_rotation(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    old, new = _secret(scheme), _secret(scheme)
    assert _check(scheme, BODY, sign(old, BODY, NOW), [new, old]).ok
    assert _check(scheme, BODY, sign(new, BODY, NOW), [new, old]).ok


@pytest.mark.parametrize(("scheme", "sign", "header", "timed", "bound"), SCHEMES, ids=IDS)
def test_a_source_without_a_secret_refuses_everything(
    scheme: str, sign: Signer, header: str, timed: bool, bound: bool
) -> None:
    verdict = _check(scheme, BODY, sign(_secret(scheme), BODY, NOW), [])
    assert not verdict.ok
    assert "no secret" in verdict.reason


def test_the_none_scheme_accepts_anything_and_says_nothing_was_required() -> None:
    verdict = _check("none", BODY, {}, [])
    assert verdict.ok
    assert verdict.required is False


def test_standard_accepts_one_matching_signature_among_several() -> None:
    secret = generate_signing_secret()
    headers = sign_standard(secret, BODY, NOW)
    other = sign_standard(generate_signing_secret(), BODY, NOW)["webhook-signature"]
    headers["webhook-signature"] = f"v2,garbage {other} {headers['webhook-signature']}"
    assert _check("standard", BODY, headers, [secret]).ok


def test_standard_signatures_made_by_a_hub_verify_with_the_reference_library() -> None:
    # The other direction: our check and the reference library agree on what is valid.
    secret = generate_signing_secret()
    # Signed now, not at import: the reference library checks the time against its own clock.
    now = int(time.time())
    headers = sign_standard(secret, BODY, now)
    assert Webhook(secret).verify(BODY, headers) == {
        "id": "evt_1",
        "type": "order.paid",
        "amount": 1200,
    }
    assert _check("standard", BODY, headers, [secret], now=now).ok


def test_hmac_accepts_a_comma_separated_list_of_signatures() -> None:
    old, new = generate_signing_secret(), generate_signing_secret()
    a = sign_hmac(old, BODY, NOW)
    b = sign_hmac(new, BODY, NOW)
    a["X-Webhook-Signature"] = f"{b['X-Webhook-Signature']}, {a['X-Webhook-Signature']}"
    assert _check("hmac", BODY, a, [old]).ok


def test_stripe_accepts_any_of_several_v1_signatures() -> None:
    secret = generate_signing_secret()
    header = sign_stripe(secret, BODY, NOW)["Stripe-Signature"]
    t, v1 = header.split(",")
    forged = "v1=" + "0" * 64
    assert _check("stripe", BODY, {"Stripe-Signature": f"{t},{forged},{v1}"}, [secret]).ok


def test_stripe_keys_the_hmac_with_the_whole_whsec_string() -> None:
    # A signature keyed with the base64-decoded secret (Standard Webhooks style) is not Stripe's.
    secret = generate_signing_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    sig = _hex(key, f"{NOW}.".encode() + BODY)
    assert not _check("stripe", BODY, {"Stripe-Signature": f"t={NOW},v1={sig}"}, [secret]).ok


def test_headers_are_matched_whatever_their_case() -> None:
    secret = _secret("github")
    headers = {k.lower(): v for k, v in sign_github(secret, BODY, NOW).items()}
    assert _check("github", BODY, headers, [secret]).ok


def test_an_unknown_scheme_is_refused() -> None:
    assert not _check("rot13", BODY, {}, ["x"]).ok


def test_garbage_in_signature_headers_is_refused_not_raised() -> None:
    secret = generate_signing_secret()
    for scheme, headers in [
        (
            "standard",
            {"webhook-id": "a", "webhook-timestamp": str(NOW), "webhook-signature": "v1,!!"},
        ),
        ("hmac", {"X-Webhook-Timestamp": "soon", "X-Webhook-Signature": "sha256=zz"}),
        ("stripe", {"Stripe-Signature": "nonsense"}),
        ("shopify", {"X-Shopify-Hmac-Sha256": "ü not base64"}),
        ("basic", {"Authorization": "Basic ü"}),
        ("bearer", {"Authorization": "Token abc"}),
    ]:
        assert not _check(scheme, BODY, headers, [secret]).ok, scheme


@pytest.mark.parametrize("scheme", ["hmac", "standard"])
@pytest.mark.parametrize("bad", ["whsec_abc", "whsec_", "whsec_%%%"])
def test_an_undecodable_or_empty_whsec_secret_refuses_instead_of_raising(
    scheme: str, bad: str
) -> None:
    # "whsec_" and "whsec_%%%" decode to an empty key: a signature made with b"" must not pass.
    empty_key_headers = {
        "hmac": {
            "X-Webhook-Timestamp": str(NOW),
            "X-Webhook-Signature": "sha256=" + _hex(b"", f"{NOW}.".encode() + BODY),
        },
        "standard": {
            "webhook-id": "m",
            "webhook-timestamp": str(NOW),
            "webhook-signature": "v1,"
            + base64.b64encode(
                hmac.new(b"", f"m.{NOW}.".encode() + BODY, hashlib.sha256).digest()
            ).decode(),
        },
    }[scheme]
    verdict = _check(scheme, BODY, empty_key_headers, [bad])
    assert not verdict.ok
    assert "not a valid whsec_ secret" in verdict.reason


def test_a_bad_secret_among_good_ones_does_not_stop_the_good_one() -> None:
    good = generate_signing_secret()
    assert _check("standard", BODY, sign_standard(good, BODY, NOW), ["whsec_abc", good]).ok
