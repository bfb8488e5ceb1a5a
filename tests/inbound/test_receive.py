"""The inbound URLs answer exactly as docs/contract.md says and store what they were sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import resolve

from inbound.models import InboundSource, IncomingWebhook
from tests.inbound.conftest import post_signed, standard_headers

pytestmark = pytest.mark.django_db

ORDER = {"type": "order.paid", "order": {"id": 17, "total": 120.5}}


def test_a_signed_request_is_accepted_stored_and_processed_after_the_response(
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_signed(client, source, ORDER, msg_id="msg_1")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "accepted"
    row = IncomingWebhook.objects.get(pk=int(body["id"]))
    # Stored, not yet processed: the handler runs in the queue after the commit.
    assert (row.state, row.verification_status, row.idempotency_key) == (
        "received",
        "verified",
        "msg_1",
    )
    assert json.loads(row.body) == ORDER
    assert len(callbacks) == 1
    callbacks[0]()
    row.refresh_from_db()
    assert row.state == "done"
    assert row.attempts == 1


def test_the_same_idempotency_key_again_answers_duplicate_with_the_first_id(
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source()
    with django_capture_on_commit_callbacks(execute=True):
        first = post_signed(client, source, ORDER, msg_id="msg_same")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = post_signed(client, source, ORDER, msg_id="msg_same")
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "status": "duplicate"}
    assert callbacks == []  # no handler run for the duplicate
    original = IncomingWebhook.objects.get(pk=int(first.json()["id"]))
    assert original.attempts == 1
    copy = IncomingWebhook.objects.get(duplicate_of=original)
    assert (copy.state, copy.idempotency_key, copy.response_status) == ("duplicate", None, 200)


def test_the_same_key_on_another_source_is_not_a_duplicate(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    a, b = make_source(), make_source()
    assert post_signed(client, a, ORDER, msg_id="msg_x").status_code == 202
    assert post_signed(client, b, ORDER, msg_id="msg_x").status_code == 202


def test_a_request_without_any_key_is_never_a_duplicate(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(verification="api_key", secret="k-123456789", api_key_header="X-Key")
    for _ in range(2):
        response = client.post(
            source.path, data=b"{}", content_type="application/json", HTTP_X_KEY="k-123456789"
        )
        assert response.status_code == 202


def test_a_bad_signature_is_401_and_stored_flagged_with_the_reason(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    body = json.dumps(ORDER).encode()
    headers = standard_headers(source.secret, body)
    response = client.post(
        source.path, data=body + b" ", content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}  # the reason is not given away
    row = IncomingWebhook.objects.get(source=source)
    assert (row.state, row.verification_status, row.response_status) == ("rejected", "failed", 401)
    assert row.error == "signature mismatch"
    assert row.idempotency_key is None  # a forged copy must not block the genuine one


def test_a_forged_request_does_not_block_the_genuine_one_with_the_same_key(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    body = json.dumps(ORDER).encode()
    forged = standard_headers(source.secret, b"{}", msg_id="msg_k")
    assert (
        client.post(source.path, data=body, content_type="application/json", **forged).status_code
        == 401
    )
    assert post_signed(client, source, ORDER, msg_id="msg_k").status_code == 202


def test_a_stale_timestamp_is_401(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    body = json.dumps(ORDER).encode()
    import time

    headers = standard_headers(source.secret, body, ts=int(time.time()) - 600)
    response = client.post(source.path, data=body, content_type="application/json", **headers)
    assert response.status_code == 401
    assert "window" in IncomingWebhook.objects.get(source=source).error


def test_a_missing_signature_is_401(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    response = client.post(source.path, data=b"{}", content_type="application/json")
    assert response.status_code == 401
    assert "missing header" in IncomingWebhook.objects.get(source=source).error


def test_an_unknown_source_is_404_and_nothing_is_stored(client: Client) -> None:
    response = client.post(
        "/webhook/incoming/no-such-source-here/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert IncomingWebhook.objects.count() == 0


def test_an_inactive_source_is_404(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(active=False)
    response = post_signed(client, source, ORDER)
    assert response.status_code == 404
    assert IncomingWebhook.objects.get(source=source).error == "the source is inactive"


def test_other_methods_are_405_with_allow_post(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    for method in ("get", "put", "delete", "patch"):
        response = getattr(client, method)(source.path)
        assert response.status_code == 405
        assert response["Allow"] == "POST"


def test_malformed_json_is_400(client: Client, make_source: Callable[..., InboundSource]) -> None:
    source = make_source()
    response = post_signed(client, source, b'{"type": "order.paid",')
    assert response.status_code == 400
    row = IncomingWebhook.objects.get(source=source)
    assert (row.state, row.verification_status) == ("rejected", "verified")
    assert row.error.startswith("malformed JSON")


def test_nul_characters_are_stored_as_replacement_characters(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    # PostgreSQL text and jsonb refuse NUL: a body or header holding one must not be a 500.
    source = make_source()
    response = post_signed(client, source, b'{"name": "a\x00b"}', HTTP_X_TRACE="t\x001")
    assert response.status_code == 400  # a raw control character is not valid JSON
    row = IncomingWebhook.objects.get(source=source)
    assert row.body == '{"name": "a\ufffdb"}'
    assert row.headers["X-Trace"] == "t\ufffd1"


@override_settings(HUB_INBOUND_MAX_BYTES=1000)
def test_a_body_over_the_limit_is_413(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    response = post_signed(client, source, {"blob": "x" * 2000})
    assert response.status_code == 413
    row = IncomingWebhook.objects.get(source=source)
    assert (row.response_status, row.body) == (413, "")


class ExplodingStream(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        raise AssertionError("the body was read")


@override_settings(HUB_INBOUND_MAX_BYTES=1000)
def test_a_declared_length_over_the_limit_is_413_before_reading_the_body(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    response = client.generic(
        "POST",
        source.path,
        content_type="application/json",
        CONTENT_LENGTH="50000000",
        **{"wsgi.input": ExplodingStream()},
    )
    assert response.status_code == 413


@override_settings(HUB_INBOUND_MAX_BYTES=1000)
def test_a_chunked_body_without_length_is_cut_off_at_the_limit(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    # gunicorn de-chunks and marks wsgi.input_terminated; we read at most limit+1 bytes of it.
    source = make_source()
    stream = io.BytesIO(b"[" + b"1," * 10_000_000 + b"1]")
    response = client.generic(
        "POST",
        source.path,
        content_type="application/json",
        CONTENT_LENGTH="",
        **{"wsgi.input": stream, "wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert stream.tell() <= 1001


def test_the_generic_url_finds_the_source_by_header_or_query(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    body = json.dumps(ORDER).encode()
    by_header = client.post(
        "/webhook/incoming",
        data=body,
        content_type="application/json",
        HTTP_X_WEBHOOK_SOURCE=source.slug,
        **standard_headers(source.secret, body),
    )
    by_query = client.post(
        f"/webhook/incoming?source={source.slug}",
        data=body,
        content_type="application/json",
        **standard_headers(source.secret, body),
    )
    nameless = client.post("/webhook/incoming", data=body, content_type="application/json")
    assert (by_header.status_code, by_query.status_code, nameless.status_code) == (202, 202, 404)


def test_the_slug_url_works_without_its_trailing_slash(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    body = json.dumps(ORDER).encode()
    response = client.post(
        source.path.rstrip("/"),
        data=body,
        content_type="application/json",
        **standard_headers(source.secret, body),
    )
    assert response.status_code == 202


def test_the_rate_limit_answers_429_with_retry_after(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(rate_limit_per_minute=2)
    answers = [post_signed(client, source, ORDER) for _ in range(3)]
    assert [a.status_code for a in answers] in ([202, 202, 429], [202, 202, 202])
    if answers[-1].status_code == 202:  # the minute turned between requests: once more
        answers = [post_signed(client, source, ORDER) for _ in range(3)]
        assert [a.status_code for a in answers][-1] == 429
    limited = answers[-1]
    assert 1 <= int(limited["Retry-After"]) <= 60


@override_settings(HUB_INBOUND_REJECTED_PER_MINUTE=3)
def test_rejected_requests_are_stored_only_up_to_the_per_source_cap(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    other = make_source()
    for _ in range(10):
        assert (
            client.post(source.path, data=b"{}", content_type="application/json").status_code == 401
        )
    assert client.post(other.path, data=b"{}", content_type="application/json").status_code == 401
    stored = IncomingWebhook.objects.filter(source=source, state="rejected").count()
    assert 3 <= stored <= 6  # 3 per minute window; the test may straddle two windows
    assert IncomingWebhook.objects.filter(source=other).count() == 1
    # Genuine requests are never capped.
    assert post_signed(client, source, ORDER).status_code == 202


@override_settings(HUB_INBOUND_REJECTED_BODY_BYTES=64)
def test_a_rejected_body_is_kept_only_as_a_bounded_prefix(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    client.post(source.path, data=json.dumps({"x": "y" * 500}), content_type="application/json")
    row = IncomingWebhook.objects.get(source=source)
    assert len(row.body) == 64
    assert row.body_truncated


def test_stored_headers_have_credentials_redacted(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(verification="bearer", secret="tok-abcdefghijklmnop")
    response = client.post(
        source.path,
        data=b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer tok-abcdefghijklmnop",
        HTTP_X_TRACE="t-1",
    )
    assert response.status_code == 202
    row = IncomingWebhook.objects.get(source=source)
    assert row.headers["Authorization"] == "Bearer [redacted]"
    assert row.headers["X-Trace"] == "t-1"
    assert "tok-abcdefghijklmnop" not in json.dumps(row.headers)


def test_the_inbound_urls_need_no_csrf_token_but_the_admin_still_does(
    make_source: Callable[..., InboundSource],
) -> None:
    client = Client(enforce_csrf_checks=True)
    source = make_source()
    assert post_signed(client, source, ORDER).status_code == 202
    body = json.dumps(ORDER).encode()
    generic = client.post(
        f"/webhook/incoming?source={source.slug}",
        data=body,
        content_type="application/json",
        **standard_headers(source.secret, body),
    )
    assert generic.status_code == 202
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_the_api_still_enforces_csrf_for_browser_sessions(
    admin_user_obj: Any, make_source: Callable[..., InboundSource]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user_obj)
    created = client.post(
        "/api/sources/", {"name": "x", "verification": "bearer"}, content_type="application/json"
    )
    assert created.status_code == 403
    assert "CSRF" in created.json()["detail"]
    row = post_signed(Client(), make_source(), ORDER)
    reprocess = client.post(f"/api/incoming/{row.json()['id']}/reprocess/")
    assert reprocess.status_code == 403
    assert InboundSource.objects.filter(name="x").count() == 0


def test_the_dashboard_url_is_not_swallowed_by_the_inbound_patterns() -> None:
    from django.urls import Resolver404

    try:
        match = resolve("/webhook/dashboard/")
    except Resolver404:
        return  # the dashboard app has not registered its page yet: not ours either way
    assert match.app_name != "inbound"
    assert not match.func.__module__.startswith("inbound")


@pytest.mark.parametrize(
    ("scheme", "secret"),
    [("github", "gh-secret-123"), ("shopify", "shp-secret-123"), ("stripe", "whsec_stripe123")],
)
def test_provider_ids_become_the_idempotency_key(
    client: Client, make_source: Callable[..., InboundSource], scheme: str, secret: str
) -> None:
    source = make_source(verification=scheme, secret=secret)
    payload = {"id": "evt_123", "type": "x"}
    body = json.dumps(payload).encode()
    if scheme == "github":
        extra = {
            "HTTP_X_HUB_SIGNATURE_256": "sha256="
            + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "HTTP_X_GITHUB_DELIVERY": "gh-delivery-1",
        }
        key = "gh-delivery-1"
    elif scheme == "shopify":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        extra = {
            "HTTP_X_SHOPIFY_HMAC_SHA256": base64.b64encode(digest).decode(),
            "HTTP_X_SHOPIFY_WEBHOOK_ID": "shp-1",
        }
        key = "shp-1"
    else:
        import time

        ts = int(time.time())
        sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        extra = {"HTTP_STRIPE_SIGNATURE": f"t={ts},v1={sig}"}
        key = "evt_123"
    first = client.post(source.path, data=body, content_type="application/json", **extra)
    again = client.post(source.path, data=body, content_type="application/json", **extra)
    assert (first.status_code, again.status_code) == (202, 200)
    assert IncomingWebhook.objects.get(pk=int(first.json()["id"])).idempotency_key == key


def test_a_configured_json_path_is_the_idempotency_key(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(idempotency_path="order.id")
    first = post_signed(client, source, ORDER)
    again = post_signed(client, source, ORDER)  # a new webhook-id, the same order id
    assert (first.status_code, again.status_code) == (202, 200)
    assert IncomingWebhook.objects.get(pk=int(first.json()["id"])).idempotency_key == "17"


@override_settings(HUB_INBOUND_REJECTED_KEEP=2)
def test_the_sweep_keeps_only_the_newest_rejected_rows_of_each_source(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    from inbound.processing import sweep

    source = make_source()
    for _ in range(5):
        client.post(source.path, data=b"{}", content_type="application/json")
    accepted = post_signed(client, source, ORDER)
    newest = list(
        IncomingWebhook.objects.filter(source=source, state="rejected")
        .order_by("-id")
        .values_list("id", flat=True)[:2]
    )
    assert sweep()["pruned"] == 3
    kept = IncomingWebhook.objects.filter(source=source, state="rejected")
    assert sorted(kept.values_list("id", flat=True)) == sorted(newest)
    assert IncomingWebhook.objects.filter(pk=int(accepted.json()["id"])).exists()


def test_an_odd_remote_address_is_stored_as_unknown(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    response = post_signed(client, source, ORDER, REMOTE_ADDR="unix:/run/gunicorn.sock")
    assert response.status_code == 202
    assert IncomingWebhook.objects.get(source=source).remote_addr is None
