"""Request building: §4 headers, auth, custom headers, GET/DELETE query strings, redaction."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from standardwebhooks import Webhook

from delivery.build import REDACTED, compose, redact
from hub.crypto import generate_signing_secret
from rules.models import WebhookRule
from rules.planning import prepare

ENVELOPE = {
    "id": "6c1f",
    "type": "res.partner.write",
    "model": "res.partner",
    "record_id": 42,
    "data": {"name": "Zoë"},
}


def rule(**fields: object) -> WebhookRule:
    fields.setdefault("url", "https://example.com/hook")
    return WebhookRule(name="r", model="res.partner", **fields)


def build(r: WebhookRule, timestamp: int = 1_700_000_000) -> tuple[dict[str, str], bytes, str]:
    url, body = prepare(rule=r, envelope=ENVELOPE)
    request = compose(
        rule=r,
        method=r.http_method,
        url=url,
        body=body,
        delivery_id="msg_1",
        event_type="res.partner.write",
        timestamp=timestamp,
    )
    return request.headers, request.body, request.url


def test_the_body_is_compact_utf8_json() -> None:
    _, body, _ = build(rule())
    expected = '{"id":"6c1f","type":"res.partner.write","model":"res.partner","record_id":42,'
    assert body == (expected + '"data":{"name":"Zoë"}}').encode()


def test_every_contract_header_is_set() -> None:
    headers, _, _ = build(rule())
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "webhook-hub/0.1.0"
    assert headers["webhook-id"] == headers["X-Webhook-Id"] == "msg_1"
    assert headers["webhook-timestamp"] == headers["X-Webhook-Timestamp"] == "1700000000"
    assert headers["X-Webhook-Event"] == "res.partner.write"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["X-Webhook-Signature"].startswith("sha256=")


def test_get_and_delete_carry_the_identifiers_in_the_query_and_no_body() -> None:
    for method in ("GET", "DELETE"):
        headers, body, url = build(rule(http_method=method, url="https://example.com/h?a=1"))
        assert body == b""
        assert parse_qs(urlsplit(url).query) == {
            "a": ["1"],
            "id": ["6c1f"],
            "type": ["res.partner.write"],
            "model": ["res.partner"],
            "record_id": ["42"],
        }


def test_basic_bearer_and_api_key_auth() -> None:
    basic, _, _ = build(rule(auth_type="basic", auth_username="u", auth_password="p"))
    assert basic["Authorization"] == "Basic dTpw"
    bearer, _, _ = build(rule(auth_type="bearer", auth_token="tok"))
    assert bearer["Authorization"] == "Bearer tok"
    keyed, _, _ = build(rule(auth_type="api_key", api_key_header="X-Key", api_key="k1"))
    assert keyed["X-Key"] == "k1"


def test_custom_headers_are_sent_but_cannot_replace_identity_or_signature_headers() -> None:
    custom = {"X-Tenant": "acme", "webhook-signature": "forged", "X-WEBHOOK-ID": "forged"}
    headers, _, _ = build(rule(headers=custom))
    assert headers["X-Tenant"] == "acme"
    assert "forged" not in headers.values()
    assert not any(k == "X-WEBHOOK-ID" for k in headers)


def test_configured_auth_wins_over_a_custom_authorization_header() -> None:
    headers, _, _ = build(rule(auth_type="bearer", auth_token="t", headers={"authorization": "x"}))
    assert [v for k, v in headers.items() if k.lower() == "authorization"] == ["Bearer t"]


def test_the_signature_verifies_with_standard_webhooks() -> None:
    secret = generate_signing_secret()
    headers, body, _ = build(rule(secret=secret), timestamp=int(time.time()))
    assert Webhook(secret).verify(body, headers) == ENVELOPE


def test_redaction_masks_credentials_and_signatures_but_not_the_rest() -> None:
    r = rule(
        auth_type="api_key",
        api_key_header="X-Key",
        api_key="k1",
        headers={"X-Plain": "v", "X-Session-Token": "t", "Cookie": "c=1"},
    )
    headers, _, _ = build(r)
    stored = redact(headers, rule=r)
    assert stored["X-Key"] == stored["X-Session-Token"] == stored["Cookie"] == REDACTED
    assert stored["webhook-signature"] == stored["X-Webhook-Signature"] == REDACTED
    assert stored["X-Plain"] == "v"
    assert stored["webhook-id"] == "msg_1"
    shown = redact(headers, rule=r, keep_signatures=True)
    assert shown["webhook-signature"] == headers["webhook-signature"]
    assert shown["X-Key"] == REDACTED
