"""Bad input to any writable endpoint is a 400 with field messages, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from hub.models import OdooConnection

WRITABLE = ["/api/connections/", "/api/hooks/", "/api/events/", "/api/rules/", "/api/sources/"]


def _deep(levels: int) -> bytes:
    return ('{"a":' * levels + "1" + "}" * levels).encode()


@pytest.mark.parametrize("url", [*WRITABLE, "/api/emit/"])
def test_a_body_nested_too_deeply_is_a_400_not_a_500(api: APIClient, url: str) -> None:
    response = api.post(url, data=_deep(5000), content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_body_nested_too_deeply_is_a_400_on_update_too(api: APIClient) -> None:
    created = api.post("/api/events/", {"code": "deep.check", "name": "Deep"}, format="json")
    assert created.status_code == 201
    url = f"/api/events/{created.json()['id']}/"
    for method in (api.put, api.patch):
        response = method(url, data=_deep(5000), content_type="application/json")
        assert response.status_code == 400
        assert "nested too deeply" in response.json()["detail"]


def test_an_emitted_record_id_beyond_64_bits_is_a_field_error(api: APIClient) -> None:
    body = {"model": "res.partner", "event": "create", "record_id": 10**30}
    response = api.post("/api/emit/", body, format="json")
    assert response.status_code == 400
    assert "record_id" in response.json()


def _connection() -> OdooConnection:
    return OdooConnection.objects.create(
        name="fuzz", url="http://127.0.0.1:1/", database="d", username="u", password="p"
    )


# (url, base body, field, bad value): each must come back as 400 naming the field.
BAD_FIELDS: list[tuple[str, dict[str, Any], str, Any]] = [
    ("/api/rules/", {}, "headers", "not an object"),
    ("/api/rules/", {}, "headers", ["a", "b"]),
    ("/api/rules/", {}, "headers", {"X-Nested": {"a": 1}}),
    ("/api/rules/", {}, "payload_fields", {"source_path": "a"}),
    ("/api/rules/", {}, "payload_fields", [1, "a"]),
    ("/api/rules/", {}, "payload_fields", [{"source_path": None}]),
    ("/api/rules/", {}, "payload_fields", [{"source_path": "a", "transform": "nope"}]),
    ("/api/rules/", {}, "payload_fields", [{"source_path": "a", "sequence": "abc"}]),
    ("/api/rules/", {}, "events", "create"),
    ("/api/rules/", {}, "events", ["no.such.event"]),
    ("/api/rules/", {}, "condition", "[('state','=',"),
    ("/api/rules/", {}, "url", "ftp://example.com/"),
    ("/api/rules/", {}, "http_method", "BREW"),
    ("/api/rules/", {}, "timeout", 10**30),
    ("/api/rules/", {}, "name", None),
    ("/api/rules/", {}, "name", "x" * 100_000),
    ("/api/rules/", {}, "connection", 999_999),
    ("/api/sources/", {"handler": "emit_event"}, "handler_config", "not an object"),
    ("/api/sources/", {"handler": "emit_event"}, "handler_config", [1, 2]),
    ("/api/sources/", {"handler": "odoo_upsert"}, "handler_config", {"model": 1}),
    ("/api/sources/", {}, "verification", "rot13"),
    ("/api/sources/", {}, "slug", None),
    ("/api/connections/", {}, "url", "not a url"),
    ("/api/connections/", {}, "poll_interval", "often"),
    ("/api/events/", {}, "code", None),
    ("/api/events/", {}, "active", {"yes": True}),
]

VALID: dict[str, dict[str, Any]] = {
    "/api/rules/": {
        "name": "r",
        "model": "res.partner",
        "events": ["create"],
        "url": "http://127.0.0.1:9/hook",
    },
    "/api/sources/": {"slug": "s" * 32, "name": "S", "verification": "none", "handler": "store"},
    "/api/connections/": {
        "name": "c",
        "url": "http://127.0.0.1:1/",
        "database": "d",
        "username": "u",
        "password": "p",
    },
    "/api/events/": {"code": "fuzz.event", "name": "Fuzz"},
}


@pytest.mark.parametrize(("url", "extra", "field", "value"), BAD_FIELDS)
def test_a_bad_field_value_is_a_400_naming_the_field(
    api: APIClient, url: str, extra: dict[str, Any], field: str, value: Any
) -> None:
    body = {**VALID[url], **extra, field: value}
    if url == "/api/sources/" and extra.get("handler", "").startswith("odoo"):
        body["connection"] = _connection().pk
    response = api.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors


@pytest.mark.parametrize("url", WRITABLE)
@pytest.mark.parametrize("body", [b"[]", b"null", b"1", b'"x"', b"{"])
def test_a_body_that_is_not_a_json_object_is_a_400(api: APIClient, url: str, body: bytes) -> None:
    response = api.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize("url", WRITABLE)
def test_unknown_ids_are_404_for_read_update_and_delete(api: APIClient, url: str) -> None:
    for bad in ("999999", "abc", "1" * 40):
        assert api.get(f"{url}{bad}/").status_code == 404
        assert api.patch(f"{url}{bad}/", {"name": "x"}, format="json").status_code == 404
        assert api.delete(f"{url}{bad}/").status_code == 404
