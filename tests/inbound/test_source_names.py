"""A source name outside the slug alphabet (a NUL, spaces, quotes) is a 404 before any query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from inbound.models import InboundSource, IncomingWebhook

pytestmark = pytest.mark.django_db

NAMES = ["\x00", "std\x00", "\x00std", "s td", "std'--", "stdé", "std/..", "a" * 101]


@pytest.fixture
def std(make_source: Callable[..., InboundSource]) -> InboundSource:
    return make_source(slug="std")


@pytest.mark.parametrize("name", NAMES)
def test_an_odd_source_name_in_the_query_is_404_json_without_a_query(
    client: Client, std: InboundSource, django_assert_num_queries: Any, name: str
) -> None:
    with django_assert_num_queries(0):
        response = client.post(
            f"/webhook/incoming?source={quote(name)}", data=b"{}", content_type="application/json"
        )
    assert (response.status_code, response.json()) == (404, {"error": "unknown source"})
    assert IncomingWebhook.objects.count() == 0


@pytest.mark.parametrize("name", NAMES)
def test_an_odd_source_name_in_the_header_is_404_json_without_a_query(
    client: Client, std: InboundSource, django_assert_num_queries: Any, name: str
) -> None:
    with django_assert_num_queries(0):
        response = client.post(
            "/webhook/incoming",
            data=b"{}",
            content_type="application/json",
            HTTP_X_WEBHOOK_SOURCE=name,
        )
    assert (response.status_code, response.json()) == (404, {"error": "unknown source"})
    assert IncomingWebhook.objects.count() == 0


@pytest.mark.parametrize("path", ["/webhook/incoming/std%00/", "/webhook/incoming/std%00"])
def test_a_nul_in_the_slug_url_is_404_without_a_query(
    client: Client, std: InboundSource, django_assert_num_queries: Any, path: str
) -> None:
    with django_assert_num_queries(0):
        response = client.post(path, data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert IncomingWebhook.objects.count() == 0


def test_the_genuine_name_still_reaches_its_source(client: Client, std: InboundSource) -> None:
    response = client.post(
        "/webhook/incoming?source=std", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 401  # found, then refused: the request is not signed
    assert IncomingWebhook.objects.get().source == std
