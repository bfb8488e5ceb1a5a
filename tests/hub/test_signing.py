"""Outbound signatures, checked with the `standardwebhooks` package as an independent oracle."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from delivery.signing import hub_signature, signature_headers
from hub.crypto import generate_signing_secret, signing_key

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
