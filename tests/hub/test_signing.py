"""hub/lib/signing.py, checked with the `standardwebhooks` package as an independent oracle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from hub.crypto import generate_signing_secret
from hub.lib.signing import (
    hub_signature,
    hub_signature_matches,
    signature_headers,
    signing_key,
    standard_signature_matches,
)
from inbound.examples import signed_headers

BODY = '{"id":"e1","data":{"name":"Zoë"}}'.encode()


def test_standard_webhooks_verifies_the_signature() -> None:
    secret = generate_signing_secret()
    now = int(time.time())
    headers = signature_headers(secrets=[secret], msg_id="msg_1", timestamp=now, body=BODY)
    headers |= {"webhook-id": "msg_1", "webhook-timestamp": str(now)}
    assert Webhook(secret).verify(BODY, headers) == {"id": "e1", "data": {"name": "Zoë"}}


def test_each_of_two_rotating_secrets_verifies_on_its_own() -> None:
    old, new = generate_signing_secret(), generate_signing_secret()
    now = int(time.time())
    headers = signature_headers(secrets=[old, new], msg_id="msg_2", timestamp=now, body=BODY)
    headers |= {"webhook-id": "msg_2", "webhook-timestamp": str(now)}
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)


def test_a_tampered_body_or_other_secret_does_not_verify() -> None:
    secret = generate_signing_secret()
    now = int(time.time())
    headers = signature_headers(secrets=[secret], msg_id="msg_3", timestamp=now, body=BODY)
    headers |= {"webhook-id": "msg_3", "webhook-timestamp": str(now)}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_signing_secret()).verify(BODY, headers)


def test_the_hub_header_is_hex_hmac_over_timestamp_and_body() -> None:
    old, new = generate_signing_secret(), generate_signing_secret()
    value = hub_signature(secrets=[old, new], timestamp=1700000000, body=BODY)
    expected = [
        "sha256=" + hmac.new(signing_key(s), b"1700000000." + BODY, hashlib.sha256).hexdigest()
        for s in (old, new)
    ]
    assert value.split(",") == expected


def test_the_empty_body_of_a_get_is_signed_too() -> None:
    secret = generate_signing_secret()
    now = int(time.time())
    headers = signature_headers(secrets=[secret], msg_id="msg_4", timestamp=now, body=b"")
    headers |= {"webhook-id": "msg_4", "webhook-timestamp": str(now)}
    Webhook(secret).verify(b"", headers, json_parse=False)


def test_no_secret_means_no_signature_headers() -> None:
    assert signature_headers(secrets=[], msg_id="m", timestamp=1, body=b"") == {}


def test_a_whsec_secret_is_decoded_and_any_other_secret_is_used_raw() -> None:
    secret = generate_signing_secret()
    assert signing_key(secret) == base64.b64decode(secret.removeprefix("whsec_"))
    assert signing_key("plain-shared-secret") == b"plain-shared-secret"


@pytest.mark.parametrize("bad", ["whsec_", "whsec_%%%", "whsec_abc", ""])
def test_an_empty_or_undecodable_secret_is_no_key_in_either_direction(bad: str) -> None:
    # An empty key would let anyone sign: such a secret neither signs nor verifies.
    assert signing_key(bad) is None
    assert signature_headers(secrets=[bad], msg_id="m", timestamp=1, body=BODY) == {}
    forged = "sha256=" + hmac.new(b"", b"1." + BODY, hashlib.sha256).hexdigest()
    assert not hub_signature_matches(header=forged, secrets=[bad], timestamp="1", body=BODY)


def test_an_unusable_secret_among_rotating_ones_is_skipped_when_signing() -> None:
    good = generate_signing_secret()
    value = hub_signature(secrets=["whsec_", good], timestamp=1700000000, body=BODY)
    assert value == hub_signature(secrets=[good], timestamp=1700000000, body=BODY)


def test_what_delivery_signs_the_verifier_accepts_under_both_schemes() -> None:
    old, new = generate_signing_secret(), generate_signing_secret()
    headers = signature_headers(secrets=[old, new], msg_id="msg_5", timestamp=1700000000, body=BODY)
    for secret in (old, new):
        assert hub_signature_matches(
            header=headers["X-Webhook-Signature"],
            secrets=[secret],
            timestamp="1700000000",
            body=BODY,
        )
        assert standard_signature_matches(
            header=headers["webhook-signature"],
            secrets=[secret],
            msg_id="msg_5",
            timestamp="1700000000",
            body=BODY,
        )


@pytest.mark.parametrize("scheme", ["hmac", "standard"])
def test_the_admin_curl_example_headers_verify_with_the_standard_webhooks_oracle(
    scheme: str,
) -> None:
    secret = generate_signing_secret()
    now = int(time.time())
    headers = signed_headers(scheme, secret=secret, body=BODY, now=now)
    if scheme == "standard":
        Webhook(secret).verify(BODY, headers)
    else:
        assert hub_signature_matches(
            header=headers["X-Webhook-Signature"], secrets=[secret], timestamp=str(now), body=BODY
        )
