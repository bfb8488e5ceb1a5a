"""The rules API: CRUD with nested payload fields, write-only secrets, filters, 400s, 401."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from hub.models import OdooConnection
from rules.models import PayloadField, WebhookEvent, WebhookRule

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes
RULE_FIELDS = {
    "id", "name", "description", "model", "events", "connection", "url", "http_method",
    "auth_type", "auth_username", "api_key_header", "headers", "condition", "trigger_fields",
    "include_changes", "active", "test_mode", "dispatch_mode", "timeout", "max_retries",
    "retry_initial_delay", "retry_multiplier", "retry_max_interval", "ordered",
    "payload_fields", "deactivated_reason",
    "has_secret", "has_auth_password", "has_auth_token", "has_api_key", "problems",
}  # fmt: skip


def rule_body(**overrides) -> dict:
    body = {
        "name": "Big orders",
        "model": "sale.order",
        "events": ["create", "write"],
        "url": "https://crm.example.com/hooks/orders",
        "condition": "[('state','=','sale'),('amount_total','>',1000)]",
        "headers": {"X-Tenant": "acme"},
        "trigger_fields": ["state"],
        "payload_fields": [
            {"source_path": "name", "payload_key": "reference", "sequence": 1},
            {"source_path": "partner_id", "field_type": "many2one", "sequence": 2},
            {
                "source_path": "amount_total",
                "transform": "round",
                "transform_arg": "2",
                "sequence": 3,
            },
        ],
    }
    body.update(overrides)
    return body


def create(api, **overrides) -> dict:
    response = api.post("/api/rules/", rule_body(**overrides), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_rule_is_created_with_its_events_and_payload_fields(api):
    data = create(api)
    rule = WebhookRule.objects.get(pk=data["id"])
    assert sorted(e.code for e in rule.events.all()) == ["create", "write"]
    assert [(f.source_path, f.payload_key) for f in rule.payload_fields.all()] == [
        ("name", "reference"),
        ("partner_id", ""),
        ("amount_total", ""),
    ]
    assert data["events"] == ["create", "write"]
    assert data["payload_fields"][2] == {
        "source_path": "amount_total",
        "field_type": "auto",
        "payload_key": "",
        "include": True,
        "transform": "round",
        "transform_arg": "2",
        "default_value": "",
        "sequence": 3,
    }


def test_a_rule_reads_back_with_exactly_the_design_field_names(api):
    rule_id = create(api)["id"]
    data = api.get(f"/api/rules/{rule_id}/").json()
    assert set(data) == RULE_FIELDS
    assert data["has_secret"] is True
    assert data["has_auth_password"] is False
    assert data["headers"] == {"X-Tenant": "acme"}
    assert data["trigger_fields"] == ["state"]
    assert data["timeout"] == 15 and data["max_retries"] == 10
    assert data["dispatch_mode"] == "async"


def test_a_generated_secret_is_returned_once_in_the_create_response(api):
    data = create(api)
    rule = WebhookRule.objects.get(pk=data["id"])
    assert data["secret"].startswith("whsec_")
    assert data["secret"] == rule.secret
    assert "secret" not in api.get(f"/api/rules/{rule.pk}/").json()


def test_given_secrets_and_credentials_are_never_returned(api):
    data = create(
        api,
        secret=SECRET,
        auth_type="basic",
        auth_username="hub",
        auth_password="pa55-word",
        auth_token="tok-123",
        api_key="key-456",
    )
    for response in (data, api.get(f"/api/rules/{data['id']}/").json()):
        text = str(response)
        assert "secret" not in response
        for plaintext in (SECRET, "pa55-word", "tok-123", "key-456"):
            assert plaintext not in text
    listed = api.get("/api/rules/").json()["results"][0]
    assert listed["has_auth_password"] and listed["has_auth_token"] and listed["has_api_key"]
    rule = WebhookRule.objects.get(pk=data["id"])
    assert (rule.secret, rule.auth_password) == (SECRET, "pa55-word")


def test_secrets_are_encrypted_in_the_database_column(api):
    rule_id = create(api, secret=SECRET, auth_type="bearer", auth_token="tok-123")["id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, auth_token FROM rules_webhookrule WHERE id = %s", [rule_id])
        secret_column, token_column = cursor.fetchone()
    assert secret_column.startswith("enc1:") and token_column.startswith("enc1:")
    assert SECRET not in secret_column
    assert "tok-123" not in token_column


def test_omitted_write_only_fields_are_kept_on_update(api):
    rule_id = create(api, secret=SECRET, auth_type="bearer", auth_token="tok-123")["id"]
    response = api.patch(f"/api/rules/{rule_id}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    rule = WebhookRule.objects.get(pk=rule_id)
    assert (rule.name, rule.secret, rule.auth_token) == ("Renamed", SECRET, "tok-123")


def test_several_secrets_are_accepted_for_rotation(api):
    other = "whsec_" + "QUJD" * 8
    rule_id = create(api, secret=f"{SECRET}\n{other}")["id"]
    assert WebhookRule.objects.get(pk=rule_id).secrets == [SECRET, other]


def test_an_update_replaces_the_payload_fields(api):
    rule_id = create(api)["id"]
    body = rule_body(
        events=["write"],
        payload_fields=[{"source_path": "email", "transform": "lower"}],
    )
    response = api.put(f"/api/rules/{rule_id}/", body, format="json")
    assert response.status_code == 200, response.json()
    rule = WebhookRule.objects.get(pk=rule_id)
    assert [(f.source_path, f.transform) for f in rule.payload_fields.all()] == [("email", "lower")]
    assert [e.code for e in rule.events.all()] == ["write"]
    assert PayloadField.objects.count() == 1


def test_a_patch_without_payload_fields_keeps_them(api):
    rule_id = create(api)["id"]
    api.patch(f"/api/rules/{rule_id}/", {"active": False}, format="json")
    assert PayloadField.objects.filter(rule_id=rule_id).count() == 3


def test_a_rule_is_deleted_with_its_payload_fields(api):
    rule_id = create(api)["id"]
    assert api.delete(f"/api/rules/{rule_id}/").status_code == 204
    assert not WebhookRule.objects.exists() and not PayloadField.objects.exists()


def test_a_rule_can_be_restricted_to_a_connection(api):
    conn = OdooConnection.objects.create(
        name="prod", url="http://127.0.0.1:8069", database="db", username="admin"
    )
    data = create(api, connection=conn.pk)
    assert data["connection"] == conn.pk
    assert (
        api.patch(f"/api/rules/{data['id']}/", {"connection": None}, format="json").json()[
            "connection"
        ]
        is None
    )


def test_reactivating_a_rule_clears_its_deactivated_reason(api):
    rule_id = create(api)["id"]
    WebhookRule.objects.filter(pk=rule_id).update(active=False, deactivated_reason="HTTP 410 Gone")
    data = api.get(f"/api/rules/{rule_id}/").json()
    assert data["deactivated_reason"] == "HTTP 410 Gone"
    data = api.patch(f"/api/rules/{rule_id}/", {"active": True}, format="json").json()
    assert data["deactivated_reason"] == ""
    assert WebhookRule.objects.get(pk=rule_id).deactivated_reason == ""


def test_deactivated_reason_is_read_only(api):
    rule_id = create(api)["id"]
    api.patch(f"/api/rules/{rule_id}/", {"deactivated_reason": "x"}, format="json")
    assert WebhookRule.objects.get(pk=rule_id).deactivated_reason == ""


def test_rules_are_filtered_by_model_active_and_event_code(api):
    create(api, name="orders")
    create(api, name="partners", model="res.partner", events=["unlink"], active=False)
    names = lambda query: [r["name"] for r in api.get(f"/api/rules/?{query}").json()["results"]]  # noqa: E731
    assert names("model=res.partner") == ["partners"]
    assert names("active=true") == ["orders"]
    assert names("event=unlink") == ["partners"]
    assert names("event=write") == ["orders"]
    assert names("ordering=-name") == ["partners", "orders"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"condition": "[('state', '=', 'sale'"}, "condition", "Invalid domain"),
        ({"condition": "[('state', 'equals', 1)]"}, "condition", "unknown operator 'equals'"),
        ({"http_method": "FETCH"}, "http_method", "not a valid choice"),
        ({"url": "ftp://example.com/x"}, "url", "http:// or https://"),
        ({"url": "not a url"}, "url", "without spaces"),
        ({"url": "https://user:pw@example.com/"}, "url", "credentials"),
        ({"events": ["shipped"]}, "events", "Unknown event code 'shipped'"),
        ({"events": []}, "events", "may not be empty"),
        ({"headers": ["X-A", "1"]}, "headers", "Expected an object"),
        ({"headers": {"X-A": 1}}, "headers", "Expected an object"),
        ({"headers": {"webhook-id": "x"}}, "headers", "set by the hub"),
        ({"trigger_fields": "state"}, "trigger_fields", "list of field names"),
        ({"trigger_fields": ["partner_id.name"]}, "trigger_fields", "Not field names"),
        ({"model": "Sale Order"}, "model", "not an Odoo model name"),
        ({"secret": "hunter2"}, "secret", "Secret 1 is not a valid signing secret"),
        ({"secret": f"{SECRET} whsec_short"}, "secret", "Secret 2 is not a valid"),
        ({"auth_type": "basic", "auth_username": "u"}, "auth_password", "needs a password"),
        ({"auth_type": "bearer"}, "auth_token", "needs a token"),
        ({"auth_type": "api_key", "api_key_header": "bad header"}, "api_key_header", "Invalid"),
        ({"timeout": 0}, "timeout", "greater than or equal to 1"),
    ],
)
def test_invalid_input_is_a_400_with_a_field_message(api, overrides, field, message):
    response = api.post("/api/rules/", rule_body(**overrides), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert message in str(errors[field]), errors


@pytest.mark.parametrize(
    ("payload_field", "key", "message"),
    [
        ({"source_path": "name", "transform": "truncate", "transform_arg": "ten"}, "transform_arg",
         "needs a whole number"),
        ({"source_path": "name", "transform": "value_map", "transform_arg": "{bad"},
         "transform_arg", "JSON object"),
        ({"source_path": "name", "transform": "hook", "transform_arg": "os.system"},
         "transform_arg", "HUB_TRANSFORM_HOOKS"),
        ({"source_path": "name", "transform": "explode"}, "transform", "not a valid choice"),
        ({"source_path": "partner id"}, "source_path", "not a field path"),
        ({"payload_key": "x"}, "source_path", "Required unless the transform is a template"),
        ({"transform": "template", "transform_arg": "{name}"}, "payload_key", "needs a key"),
        ({"source_path": "name", "field_type": "computed"}, "transform", "template transform"),
    ],
)  # fmt: skip
def test_an_invalid_payload_field_is_a_400_naming_its_position(api, payload_field, key, message):
    body = rule_body(payload_fields=[{"source_path": "id"}, payload_field])
    response = api.post("/api/rules/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["payload_fields"]
    assert list(errors) == ["1"]  # the second field, by position
    assert message in str(errors["1"][key]), errors


def test_two_fields_writing_the_same_key_are_refused(api):
    body = rule_body(
        payload_fields=[{"source_path": "name"}, {"source_path": "ref", "payload_key": "name"}]
    )
    response = api.post("/api/rules/", body, format="json")
    assert response.status_code == 400
    assert "'name'" in str(response.json()["payload_fields"])


@pytest.mark.parametrize("body", [[1, 2], "text", 42, {"events": "write"}])
def test_malformed_bodies_are_400_not_500(api, body):
    response = api.post("/api/rules/", body, format="json")
    assert response.status_code == 400


def test_invalid_json_is_a_400(api):
    response = api.post("/api/rules/", "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_rules_api_answers_401_without_a_token():
    assert APIClient().get("/api/rules/").status_code == 401
    assert APIClient().post("/api/rules/", rule_body(), format="json").status_code == 401


def test_rotating_the_secret_returns_the_new_one_once_and_keeps_the_old(api):
    rule_id = create(api, secret=SECRET)["id"]
    response = api.post(f"/api/rules/{rule_id}/rotate-secret/")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert response.json()["active_secrets"] == 2
    assert WebhookRule.objects.get(pk=rule_id).secrets == [new, SECRET]
    dropped = api.post(f"/api/rules/{rule_id}/drop-old-secrets/").json()
    assert dropped == {"removed": 1}
    assert WebhookRule.objects.get(pk=rule_id).secrets == [new]


def test_the_test_endpoint_sends_a_sample_delivery_and_returns_the_outcome(api, receiver):
    rule_id = create(api, url=receiver.url_for("/hook"), payload_fields=[{"source_path": "name"}])[
        "id"
    ]
    response = api.post(f"/api/rules/{rule_id}/test/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "success"
    assert data["response_status"] == 200
    assert data["response_body"] == '{"ok": true}'
    assert data["error"] == ""
    assert isinstance(data["duration_ms"], int)
    (request,) = receiver.wait_for(1)
    assert request.header("webhook-signature").startswith("v1,")


def test_the_test_endpoint_reports_a_failing_target(api, receiver):
    receiver.script(500)
    rule_id = create(api, url=receiver.url_for("/hook"), payload_fields=[])["id"]
    data = api.post(f"/api/rules/{rule_id}/test/").json()
    assert data["response_status"] == 500
    assert data["status"] == "failed"


def test_standard_events_are_listed_for_rules(api):
    codes = [e["code"] for e in api.get("/api/events/").json()["results"]]
    assert {"create", "write", "unlink"} <= set(codes)
    assert WebhookEvent.objects.filter(is_standard=True).count() == 3
