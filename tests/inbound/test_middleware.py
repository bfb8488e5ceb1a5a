"""The inbound URLs answer from inbound.middleware, before sessions, CSRF, auth and the URL
resolver, and still get the Host check, the HTTPS redirect and the security headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.handlers.base import BaseHandler
from django.test import Client, override_settings

from inbound.models import IncomingWebhook
from tests import factories
from tests.inbound.conftest import post_signed, standard_headers

ORDER = {"type": "order.paid", "order": {"id": 17}}


@pytest.fixture
def no_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any, request: Any) -> Any:
        raise AssertionError(f"the URL resolver ran for {request.path_info}")

    monkeypatch.setattr(BaseHandler, "resolve_request", refuse)


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["/", ""])
def test_a_source_url_is_answered_without_the_url_resolver(no_resolver: None, suffix: str) -> None:
    source = factories.make_source()
    client = Client(enforce_csrf_checks=True)
    body = json.dumps(ORDER).encode()
    response = client.post(
        source.path.rstrip("/") + suffix,
        data=body,
        content_type="application/json",
        **standard_headers(source.secret, body),
    )
    assert response.status_code == 202
    assert IncomingWebhook.objects.get(pk=int(response.json()["id"])).state == "received"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/webhook/incoming", "/webhook/incoming/"])
def test_the_generic_url_is_answered_without_the_url_resolver(no_resolver: None, path: str) -> None:
    source = factories.make_source()
    body = json.dumps(ORDER).encode()
    response = Client().post(
        f"{path}?source={source.slug}",
        data=body,
        content_type="application/json",
        **standard_headers(source.secret, body),
    )
    assert response.status_code == 202


@pytest.mark.django_db
def test_the_answer_keeps_the_security_headers_and_a_length(client: Client) -> None:
    response = post_signed(client, factories.make_source(), ORDER)
    assert response.status_code == 202
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Length"] == str(len(response.content))
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


@pytest.mark.django_db
def test_a_host_outside_allowed_hosts_is_refused_before_anything_is_stored(client: Client) -> None:
    source = factories.make_source()
    response = post_signed(client, source, ORDER, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not IncomingWebhook.objects.exists()


@pytest.mark.django_db
def test_plain_http_is_redirected_when_https_is_required() -> None:
    source = factories.make_source()
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = post_signed(Client(), source, ORDER)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert not IncomingWebhook.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/webhook/incoming/a/b/", "/webhook/incoming/a.b/"])
def test_other_paths_under_the_prefix_take_the_usual_way(client: Client, path: str) -> None:
    response = client.post(path, data=b"{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_rest_of_the_site_keeps_csrf_protection() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
