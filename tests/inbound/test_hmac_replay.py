"""The hub's own ``hmac`` scheme: a captured request replayed under a fresh id is a duplicate;
new sources default to ``standard``, which signs the id."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from inbound.idempotency import idempotency_key
from inbound.models import InboundSource, IncomingWebhook

pytestmark = pytest.mark.django_db

EVENT = {"id": "6f1c0d6e-5d7a-4c3e-9d0e-2c8a9f4b1a10", "type": "res.partner.write", "data": {}}


def hub_headers(secret: str, body: bytes, *, delivery_id: str, ts: int) -> dict[str, str]:
    """What a hub sends for the hmac scheme: X-Webhook-Signature over "{ts}.{body}" only."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signature = hmac.new(key, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "HTTP_X_WEBHOOK_ID": delivery_id,
        "HTTP_X_WEBHOOK_TIMESTAMP": str(ts),
        "HTTP_X_WEBHOOK_SIGNATURE": f"sha256={signature}",
    }


def post(client: Client, source: InboundSource, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(source.path, data=body, content_type="application/json", **headers)


def test_a_captured_hmac_request_replayed_under_a_fresh_id_is_a_duplicate(
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source(verification="hmac")
    body = json.dumps(EVENT).encode()
    captured = hub_headers(source.secret, body, delivery_id="msg_original", ts=int(time.time()))
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, source, body, captured)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        replay = post(client, source, body, {**captured, "HTTP_X_WEBHOOK_ID": "msg_forged"})
    assert first.status_code == 202
    assert (replay.status_code, replay.json()) == (
        200,
        {"id": first.json()["id"], "status": "duplicate"},
    )
    assert callbacks == []  # the handler did not run again
    assert IncomingWebhook.objects.get(pk=int(first.json()["id"])).attempts == 1


def test_the_senders_own_retry_with_a_new_timestamp_is_still_a_duplicate(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    # A hub retries a delivery with the same body and id but a fresh timestamp and signature.
    source = make_source(verification="hmac")
    body = json.dumps(EVENT).encode()
    now = int(time.time())
    first = post(client, source, body, hub_headers(source.secret, body, delivery_id="m", ts=now))
    retry = hub_headers(source.secret, body, delivery_id="m", ts=now - 60)
    assert (first.status_code, post(client, source, body, retry).status_code) == (202, 200)


def test_another_signed_body_on_an_hmac_source_is_accepted(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(verification="hmac")
    now = int(time.time())
    answers = []
    for event_id in ("a", "b"):
        body = json.dumps({**EVENT, "id": event_id}).encode()
        headers = hub_headers(source.secret, body, delivery_id="msg_same", ts=now)
        answers.append(post(client, source, body, headers).status_code)
    assert answers == [202, 202]


def test_the_hmac_key_ignores_key_order_and_spacing_but_not_values() -> None:
    def key(payload: Any, delivery_id: str) -> str | None:
        headers = {"X-Webhook-Id": delivery_id}
        return idempotency_key(headers=headers, payload=payload, scheme="hmac")

    same = key({"a": 1, "b": [1, 2]}, "x")
    assert same == key(json.loads('{ "b": [1,2], "a": 1 }'), "y")
    assert same != key({"a": 2, "b": [1, 2]}, "x")
    assert same is not None and same.startswith("body:sha256:")


def test_other_schemes_keep_the_delivery_id_as_the_key() -> None:
    key = idempotency_key(headers={"webhook-id": "msg_1"}, payload=EVENT, scheme="standard")
    assert key == "msg_1"


def test_a_new_source_defaults_to_the_standard_scheme_in_the_api(api: APIClient) -> None:
    response = api.post("/api/sources/", {"name": "Other hub"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["verification"] == "standard"
    assert InboundSource.objects.get(name="Other hub").verification == "standard"


def test_the_admin_add_page_preselects_the_standard_scheme(admin_client: Client) -> None:
    html = admin_client.get(reverse("admin:inbound_inboundsource_add")).content.decode()
    assert '<option value="standard" selected>' in html
