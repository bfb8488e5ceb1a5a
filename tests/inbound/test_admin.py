"""Admin: source pages with URL and a curl example that really works, rotation, the request log."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from hub.crypto import split_secrets
from inbound.examples import curl_command
from inbound.models import InboundSource, IncomingWebhook
from tests.inbound.conftest import post_signed

pytestmark = pytest.mark.django_db


def _curl_to_request(command: str) -> tuple[str, dict[str, str], bytes]:
    words = shlex.split(command.replace("\\\n", " "))
    url = words[words.index("POST") + 1]
    headers = {}
    for i, word in enumerate(words):
        if word == "-H":
            name, _, value = words[i + 1].partition(": ")
            headers[name] = value
    body = words[words.index("--data-raw") + 1].encode()
    return url, headers, body


def _meta(headers: dict[str, str]) -> dict[str, str]:
    return {
        "HTTP_" + k.upper().replace("-", "_"): v
        for k, v in headers.items()
        if k.lower() != "content-type"
    }


@pytest.mark.parametrize(
    ("scheme", "secret"),
    [
        ("none", ""),
        ("hmac", ""),
        ("standard", ""),
        ("github", ""),
        ("stripe", "whsec_abc123"),
        ("shopify", "shpss_123"),
        ("basic", ""),
        ("api_key", ""),
        ("bearer", ""),
    ],
)
def test_the_curl_example_is_accepted_by_the_source(
    client: Client, make_source: Callable[..., InboundSource], scheme: str, secret: str
) -> None:
    source = make_source(verification=scheme, secret=secret)
    command = curl_command(
        url=source.url,
        scheme=scheme,
        secret=split_secrets(source.secret)[0] if source.secret else "",
        now=int(time.time()),
        api_key_header=source.api_key_header,
    )
    url, headers, body = _curl_to_request(command)
    assert url == source.url
    response = client.post(
        source.path, data=body, content_type="application/json", **_meta(headers)
    )
    assert response.status_code == 202, IncomingWebhook.objects.filter(source=source).first().error


def test_the_source_page_shows_the_full_url_and_a_signed_curl_example(
    admin_client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(verification="hmac")
    page = admin_client.get(reverse("admin:inbound_inboundsource_change", args=[source.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert source.url in html
    assert "X-Webhook-Signature: sha256=" in html


def test_view_only_staff_see_no_secret_slug_or_signed_example(
    client: Client, django_user_model: Any, make_source: Callable[..., InboundSource]
) -> None:
    from django.contrib.auth.models import Permission

    source = make_source(verification="hmac")
    viewer = django_user_model.objects.create_user("viewer", password="pw-v-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_inboundsource"))
    client.force_login(viewer)
    page = client.get(reverse("admin:inbound_inboundsource_change", args=[source.pk]))
    html = page.content.decode()
    assert source.name in html
    for secret in split_secrets(source.secret):
        assert secret not in html
    assert source.slug not in html
    assert "X-Webhook-Signature: sha256=" not in html  # the signed curl example
    changelist = client.get(reverse("admin:inbound_inboundsource_changelist")).content.decode()
    assert 'value="rotate_secret"' not in changelist


def test_the_add_page_saves_a_source_with_a_generated_secret(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:inbound_inboundsource_add"),
        {
            "name": "From the admin",
            "active": "on",
            "slug": "x" * 32,
            "verification": "standard",
            "secret": "",
            "api_key_header": "X-API-Key",
            "tolerance_seconds": "300",
            "idempotency_path": "",
            "rate_limit_per_minute": "",
            "handler": "store",
            "handler_config": "{}",
            "connection": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert InboundSource.objects.get(name="From the admin").secret.startswith("whsec_")


def test_the_admin_form_refuses_a_bad_handler_config(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:inbound_inboundsource_add"),
        {
            "name": "Bad",
            "slug": "y" * 32,
            "verification": "standard",
            "api_key_header": "X-API-Key",
            "tolerance_seconds": "300",
            "handler": "python",
            "handler_config": '{"path": "os.system"}',
        },
    )
    assert response.status_code == 200
    assert "HUB_INBOUND_HANDLERS" in response.content.decode()
    assert not InboundSource.objects.filter(name="Bad").exists()


def _act(admin_client: Client, action: str, source: InboundSource) -> None:
    response = admin_client.post(
        reverse("admin:inbound_inboundsource_changelist"),
        {"action": action, "_selected_action": [source.pk]},
    )
    assert response.status_code == 302


def test_rotation_keeps_the_old_secret_valid_until_it_is_dropped(
    admin_client: Client, client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    old = source.secret
    _act(admin_client, "rotate_secret", source)
    source.refresh_from_db()
    new, kept = split_secrets(source.secret)
    assert kept == old and new != old
    assert post_signed(client, source, {"a": 1}).status_code == 202  # signed with the new one
    source.secret = old  # the sender still uses the old one
    assert post_signed(client, source, {"a": 2}).status_code == 202
    _act(admin_client, "drop_old_secrets", source)
    source.refresh_from_db()
    assert split_secrets(source.secret) == [new]
    source.secret = old
    assert post_signed(client, source, {"a": 3}).status_code == 401


def test_a_new_slug_retires_the_old_url(
    admin_client: Client, client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(verification="none")
    old_path = source.path
    _act(admin_client, "new_slug", source)
    source.refresh_from_db()
    assert source.path != old_path
    assert len(source.slug) >= 24
    assert client.post(old_path, data=b"{}", content_type="application/json").status_code == 404
    assert client.post(source.path, data=b"{}", content_type="application/json").status_code == 202


def test_a_sender_issued_secret_cannot_be_generated(
    admin_client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source(verification="stripe", secret="whsec_given")
    _act(admin_client, "generate_secret", source)
    source.refresh_from_db()
    assert source.secret == "whsec_given"


def test_the_request_log_is_read_only_with_pretty_json(
    admin_client: Client, client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    row_id = int(post_signed(client, source, {"order": {"id": 1}}).json()["id"])
    listing = admin_client.get(
        reverse("admin:inbound_incomingwebhook_changelist"), {"state__exact": "done"}
    )
    assert listing.status_code == 200
    page = admin_client.get(reverse("admin:inbound_incomingwebhook_change", args=[row_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "&quot;order&quot;: {" in html  # indented JSON
    assert 'name="_save"' not in html


def test_the_reprocess_action_runs_the_handler_again(
    admin_client: Client,
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source()
    with django_capture_on_commit_callbacks(execute=True):
        row_id = int(post_signed(client, source, {"a": 1}).json()["id"])
    first_run = IncomingWebhook.objects.get(pk=row_id).processed_at
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:inbound_incomingwebhook_changelist"),
            {"action": "reprocess_selected", "_selected_action": [row_id]},
        )
    assert response.status_code == 302
    row = IncomingWebhook.objects.get(pk=row_id)
    assert row.state == "done"
    assert row.processed_at > first_run
