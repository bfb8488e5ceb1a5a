"""API field names are docs/contract.md's: every listed field returned, write-only ones never."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

# docs/contract.md, "API": (returned, write-only).
RULE = (
    {
        "id", "name", "description", "model", "events", "connection", "url", "http_method",
        "auth_type", "auth_username", "api_key_header", "headers", "condition", "trigger_fields",
        "include_changes", "active", "test_mode", "dispatch_mode", "timeout", "max_retries",
        "retry_initial_delay", "retry_multiplier", "retry_max_interval", "ordered",
        "payload_fields", "deactivated_reason",
    },
    {"auth_password", "auth_token", "api_key", "secret"},
)  # fmt: skip
PAYLOAD_FIELD = {
    "source_path", "field_type", "payload_key", "include", "transform", "transform_arg",
    "default_value", "sequence",
}  # fmt: skip
CONNECTION = (
    {
        "id", "name", "url", "database", "username", "poll_interval", "active", "version",
        "last_poll_at", "last_error",
    },
    {"password", "api_key", "push_token"},
)  # fmt: skip
HOOK: tuple[set[str], set[str]] = (
    {
        "id", "connection", "model", "events", "domain", "tracked_fields", "echo_suppression",
        "active", "cursor", "last_poll_at", "last_error",
    },
    set(),
)  # fmt: skip
EVENT: tuple[set[str], set[str]] = (
    {"id", "code", "name", "model", "description", "is_standard", "active"},
    set(),
)
SOURCE = (
    {
        "id", "slug", "name", "verification", "handler", "handler_config", "connection",
        "active", "url",
    },
    {"secret"},
)  # fmt: skip


def _check(body: dict[str, Any], contract: tuple[set[str], set[str]]) -> None:
    returned, write_only = contract
    assert returned <= set(body), f"missing: {sorted(returned - set(body))}"
    assert not write_only & set(body), f"write-only returned: {sorted(write_only & set(body))}"
    # Extra fields may only be `has_<write-only>` flags or further read-only details, never a
    # renamed contract field.
    for name in write_only:
        assert body.get(f"has_{name}") in (True, False, None)


def _create(api: APIClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def entities(api: APIClient) -> dict[str, dict[str, Any]]:
    conn = _create(
        api,
        "/api/connections/",
        {
            "name": "erp",
            "url": "http://127.0.0.1:1/",
            "database": "d",
            "username": "u",
            "password": "pw",
            "api_key": "key",
        },
    )
    hook = _create(
        api, "/api/hooks/", {"connection": conn["id"], "model": "sale.order", "events": ["write"]}
    )
    event = _create(api, "/api/events/", {"code": "sale.confirmed", "name": "Confirmed"})
    rule = _create(
        api,
        "/api/rules/",
        {
            "name": "r",
            "model": "sale.order",
            "events": ["write", "sale.confirmed"],
            "connection": conn["id"],
            "url": "http://127.0.0.1:9/hook",
            "auth_type": "bearer",
            "auth_token": "tok",
            "headers": {"X-Tenant": "acme"},
            "condition": "[('state','=','sale')]",
            "trigger_fields": ["state"],
            "payload_fields": [{"source_path": "partner_id.name", "payload_key": "customer"}],
        },
    )
    source = _create(
        api,
        "/api/sources/",
        {"slug": "s" * 32, "name": "S", "verification": "none", "handler": "store"},
    )
    return {"connection": conn, "hook": hook, "event": event, "rule": rule, "source": source}


@pytest.mark.parametrize(
    ("kind", "url", "contract"),
    [
        ("rule", "/api/rules/", RULE),
        ("connection", "/api/connections/", CONNECTION),
        ("hook", "/api/hooks/", HOOK),
        ("event", "/api/events/", EVENT),
        ("source", "/api/sources/", SOURCE),
    ],
)
def test_each_entity_returns_the_design_field_names(
    api: APIClient, entities: dict[str, dict[str, Any]], kind: str, url: str, contract: Any
) -> None:
    created = entities[kind]
    detail = api.get(f"{url}{created['id']}/").json()
    listed = next(row for row in api.get(url).json()["results"] if row["id"] == created["id"])
    for body in (detail, listed):
        _check(body, contract)
    # The create response follows the same contract, except what was generated for the caller
    # and is returned once: a connection's push token, a rule's signing secret (docs/rules.md).
    _check({k: v for k, v in created.items() if k not in ("push_token", "secret")}, contract)
    if kind == "rule":
        assert created["secret"].startswith("whsec_")
        assert "secret" not in detail


def test_rule_fields_have_the_design_shapes(
    api: APIClient, entities: dict[str, dict[str, Any]]
) -> None:
    rule = api.get(f"/api/rules/{entities['rule']['id']}/").json()
    assert sorted(rule["events"]) == ["sale.confirmed", "write"]
    assert rule["connection"] == entities["connection"]["id"]
    assert rule["headers"] == {"X-Tenant": "acme"}
    assert rule["trigger_fields"] == ["state"]
    assert isinstance(rule["condition"], str)
    assert rule["has_secret"] is True  # generated when omitted
    (field,) = rule["payload_fields"]
    assert set(field) >= PAYLOAD_FIELD
    assert field["source_path"] == "partner_id.name"
    assert field["payload_key"] == "customer"


def test_a_connection_push_token_is_returned_once_in_the_create_response(
    api: APIClient, entities: dict[str, dict[str, Any]]
) -> None:
    conn = entities["connection"]
    assert conn["push_token"]
    again = api.get(f"/api/connections/{conn['id']}/").json()
    assert "push_token" not in again
    assert again["has_push_token"] is True


def test_hook_and_source_fields_have_the_design_shapes(
    api: APIClient, entities: dict[str, dict[str, Any]]
) -> None:
    hook = api.get(f"/api/hooks/{entities['hook']['id']}/").json()
    assert hook["events"] == ["write"]
    assert isinstance(hook["tracked_fields"], list)
    source = api.get(f"/api/sources/{entities['source']['id']}/").json()
    assert isinstance(source["handler_config"], dict)
    assert source["connection"] is None
    assert source["url"].startswith("http") and source["url"].endswith(f"/{source['slug']}/")
