"""The sources and incoming API: write-only secrets, validated handler config, reprocess."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inbound.models import InboundSource, IncomingWebhook
from tests.inbound.conftest import post_signed

pytestmark = pytest.mark.django_db


def test_creating_a_source_generates_a_secret_and_shows_it_once(api: APIClient) -> None:
    response = api.post(
        "/api/sources/",
        {"name": "Shop", "verification": "standard", "handler": "store"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["has_secret"] is True
    assert created["url"] == f"http://127.0.0.1:8000/webhook/incoming/{created['slug']}/"
    again = api.get(f"/api/sources/{created['id']}/").json()
    assert "secret" not in again
    assert again["has_secret"] is True
    assert InboundSource.objects.get().secret == created["secret"]


def test_a_given_secret_is_stored_and_never_returned(api: APIClient) -> None:
    response = api.post(
        "/api/sources/",
        {"name": "Stripe", "verification": "stripe", "secret": "whsec_fromstripe"},
        format="json",
    )
    assert response.status_code == 201
    assert "secret" not in response.json()
    assert InboundSource.objects.get().secret == "whsec_fromstripe"


def test_a_stripe_source_without_its_secret_is_refused(api: APIClient) -> None:
    response = api.post(
        "/api/sources/", {"name": "Stripe", "verification": "stripe"}, format="json"
    )
    assert response.status_code == 400
    assert "secret" in response.json()


def test_updating_without_a_secret_keeps_the_current_one(
    api: APIClient, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    before = source.secret
    response = api.patch(f"/api/sources/{source.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    source.refresh_from_db()
    assert (source.name, source.secret) == ("Renamed", before)


def test_handler_config_is_validated_by_the_api(api: APIClient) -> None:
    response = api.post(
        "/api/sources/",
        {"name": "x", "handler": "emit_event", "handler_config": {"event": "only"}},
        format="json",
    )
    assert response.status_code == 400
    assert "handler_config" in response.json()


def test_a_python_handler_not_listed_in_the_setting_is_refused_by_the_api(api: APIClient) -> None:
    response = api.post(
        "/api/sources/",
        {"name": "x", "handler": "python", "handler_config": {"path": "os.system"}},
        format="json",
    )
    assert response.status_code == 400
    assert "HUB_INBOUND_HANDLERS" in str(response.json()["handler_config"])


def test_a_handler_config_object_round_trips(api: APIClient) -> None:
    config = {"model": "shop.order", "event_path": "type", "record_id_path": "order.id"}
    response = api.post(
        "/api/sources/",
        {"name": "x", "handler": "emit_event", "handler_config": config},
        format="json",
    )
    assert response.status_code == 201
    assert api.get(f"/api/sources/{response.json()['id']}/").json()["handler_config"] == config


def test_incoming_requests_are_listed_read_only_and_filterable(
    api: APIClient, client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    post_signed(client, source, {"a": 1})
    client.post(source.path, data=b"{}", content_type="application/json")  # 401, stored
    listed = api.get(f"/api/incoming/?source={source.pk}&state=rejected").json()
    assert [r["response_status"] for r in listed["results"]] == [401]
    row_id = listed["results"][0]["id"]
    assert api.delete(f"/api/incoming/{row_id}/").status_code == 405
    assert api.patch(f"/api/incoming/{row_id}/", {"state": "done"}).status_code == 405


def test_reprocess_runs_the_handler_again_after_the_config_is_fixed(
    api: APIClient,
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source(
        handler="emit_event", handler_config={"model_path": "kind", "event": "created"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        row_id = int(post_signed(client, source, {"id": 3}).json()["id"])
    row = IncomingWebhook.objects.get(pk=row_id)
    assert row.state == "failed"

    source.handler_config = {"model": "shop.customer", "event": "created", "record_id_path": "id"}
    source.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/incoming/{row_id}/reprocess/")
    assert response.status_code == 202
    assert response.json() == {"id": str(row_id), "status": "received"}
    row.refresh_from_db()
    assert (row.state, row.result["record_id"], row.error) == ("done", 3, "")


def test_a_rejected_request_cannot_be_reprocessed(
    api: APIClient, client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    client.post(source.path, data=b"{}", content_type="application/json")
    row = IncomingWebhook.objects.get(source=source)
    response = api.post(f"/api/incoming/{row.pk}/reprocess/")
    assert response.status_code == 409
    row.refresh_from_db()
    assert row.state == "rejected"


def test_reprocess_needs_the_change_permission(
    client: Client, make_source: Callable[..., InboundSource]
) -> None:
    source = make_source()
    row_id = int(post_signed(client, source, {"a": 1}).json()["id"])
    user = get_user_model().objects.create_user("viewer", password="pw-viewer-123")
    viewer = APIClient()
    viewer.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert viewer.post(f"/api/incoming/{row_id}/reprocess/").status_code == 403
    assert APIClient().post(f"/api/incoming/{row_id}/reprocess/").status_code == 401


@pytest.mark.parametrize(
    ("scheme", "secret"),
    [
        ("standard", "whsec_abc"),  # bad base64 padding
        ("standard", "whsec_"),  # an empty key: anyone could sign
        ("hmac", "whsec_%%%"),  # decodes to nothing
        ("standard", "c2VjcmV0LXdpdGhvdXQtdGhlLXByZWZpeA=="),  # no whsec_ prefix
    ],
)
def test_a_signing_secret_the_scheme_cannot_use_is_refused(
    api: APIClient, scheme: str, secret: str
) -> None:
    response = api.post(
        "/api/sources/",
        {"name": "Hub", "verification": scheme, "secret": secret},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "whsec_" in str(response.json()["secret"])
    assert len(secret) < 7 or secret not in str(response.json())  # never echoed
    assert not InboundSource.objects.exists()


def test_a_raw_hmac_secret_without_the_prefix_is_still_allowed(api: APIClient) -> None:
    response = api.post(
        "/api/sources/",
        {"name": "Hub", "verification": "hmac", "secret": "a-long-shared-secret-0123456789"},
        format="json",
    )
    assert response.status_code == 201, response.json()
