"""A rule's custom headers: encrypted at rest, credential values write-only in the API and admin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from hub.crypto import PREFIX
from hub.lib.redaction import MASK, is_secret_header
from rules.models import WebhookRule
from tests import factories
from tests.factories import emit
from tests.fakes.receiver import Receiver
from tests.rules.test_admin import form_data
from tests.rules.test_api_rules import create

TOKEN = "Bearer tok-7f3a9c1e55"
HEADERS = {"Authorization": TOKEN, "X-Tenant": "acme", "X-Session-Token": "sess-0b8d21"}


def raw_headers(rule_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT headers FROM rules_webhookrule WHERE id = %s", [rule_id])
        return cursor.fetchone()[0]


def make_rule(**fields: Any) -> WebhookRule:
    return factories.make_rule(**{"name": "Orders", "url": "https://x.test/hook", **fields})


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("Cookie", True),
        ("X-API-Key", True),
        ("X-Auth-Token", True),
        ("X-Client-Secret", True),
        ("X-Password", True),
        ("X-Signature", True),
        ("X-Tenant", False),
        ("Accept-Language", False),
    ],
)
def test_header_names_that_look_like_credentials_are_secret(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


@pytest.mark.django_db
def test_the_database_column_holds_no_plaintext_header_value() -> None:
    rule = make_rule(headers=HEADERS)
    stored = raw_headers(rule.pk)
    assert stored.startswith(PREFIX)
    assert "tok-7f3a9c1e55" not in stored and "acme" not in stored
    assert WebhookRule.objects.get(pk=rule.pk).headers == HEADERS


@pytest.mark.django_db
def test_the_api_never_returns_a_credential_header_value(api) -> None:
    created = create(api, headers=HEADERS)
    shown = api.get(f"/api/rules/{created['id']}/").json()["headers"]
    listed = api.get("/api/rules/").json()
    assert shown == {"Authorization": MASK, "X-Tenant": "acme", "X-Session-Token": MASK}
    assert created["headers"] == shown
    assert "tok-7f3a9c1e55" not in json.dumps(listed) + json.dumps(created)


@pytest.mark.django_db
def test_sending_the_mask_back_keeps_the_stored_value(api) -> None:
    rule_id = create(api, headers=HEADERS)["id"]
    shown = api.get(f"/api/rules/{rule_id}/").json()
    shown.pop("id")
    shown["headers"]["X-Tenant"] = "globex"
    assert api.put(f"/api/rules/{rule_id}/", shown, format="json").status_code == 200
    patch = {"headers": {"authorization": MASK, "X-Session-Token": "sess-new"}}
    assert api.patch(f"/api/rules/{rule_id}/", patch, format="json").status_code == 200
    assert WebhookRule.objects.get(pk=rule_id).headers == {
        "authorization": TOKEN,
        "X-Session-Token": "sess-new",
    }


@pytest.mark.django_db
def test_the_mask_for_a_header_that_has_no_stored_value_is_refused(api) -> None:
    rule_id = create(api)["id"]
    patch = {"headers": {"Authorization": MASK}}
    response = api.patch(f"/api/rules/{rule_id}/", patch, format="json")
    assert response.status_code == 400
    assert "Authorization" in response.json()["headers"][0]


@pytest.mark.django_db
def test_the_admin_change_page_does_not_contain_a_credential_header_value(admin_client) -> None:
    rule = make_rule(headers=HEADERS)
    html = admin_client.get(reverse("admin:rules_webhookrule_change", args=[rule.pk])).content
    assert b"tok-7f3a9c1e55" not in html and b"sess-0b8d21" not in html
    assert MASK.encode() in html and b"acme" in html


@pytest.mark.django_db
def test_saving_the_admin_form_with_the_mask_keeps_the_stored_value(admin_client) -> None:
    rule = make_rule(headers=HEADERS)
    headers = {"Authorization": MASK, "X-Tenant": "initech", "X-Session-Token": MASK}
    data = form_data(headers=json.dumps(headers), name="Orders")
    url = reverse("admin:rules_webhookrule_change", args=[rule.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert WebhookRule.objects.get(pk=rule.pk).headers == {**HEADERS, "X-Tenant": "initech"}


@pytest.mark.django_db
def test_deliveries_still_send_the_real_header_value(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for(), headers=HEADERS)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    (req,) = receiver.wait_for(1)
    assert req.header("Authorization") == TOKEN
    assert req.header("X-Session-Token") == "sess-0b8d21"
    assert req.header("X-Tenant") == "acme"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_headers_and_its_reverse_decrypts_them() -> None:
    before, after = [("rules", "0003_validators")], [("rules", "0004_encrypt_headers")]
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO rules_webhookrule (name, description, model, url, http_method, "
                "auth_type, auth_username, auth_password, auth_token, api_key_header, api_key, "
                "headers, secret, condition, trigger_fields, include_changes, active, test_mode, "
                "dispatch_mode, timeout, max_retries, retry_initial_delay, retry_multiplier, "
                "retry_max_interval, ordered, deactivated_reason, created_at, updated_at) VALUES "
                "('Old', '', 'res.partner', 'https://x.test/', 'POST', 'none', '', '', '', "
                "'X-API-Key', '', %s, '', '', '[]', true, true, false, 'async', 15, 10, 60, 2.0, "
                "86400, false, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                [json.dumps(HEADERS)],
            )
            cursor.execute("SELECT id FROM rules_webhookrule WHERE name = 'Old'")
            rule_id = cursor.fetchone()[0]
        MigrationExecutor(connection).migrate(after)
        assert raw_headers(rule_id).startswith(PREFIX)
        assert "tok-7f3a9c1e55" not in raw_headers(rule_id)
        MigrationExecutor(connection).migrate(before)
        assert json.loads(raw_headers(rule_id)) == HEADERS
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert WebhookRule.objects.get(pk=rule_id).headers == HEADERS
