"""API: connections (write-only secrets, push token once), hooks, history."""

from __future__ import annotations

import pytest
from django.db import connection as db

from hub.crypto import token_hash
from hub.models import EventHistory, ModelHook, OdooConnection
from rules.models import PayloadField, WebhookEvent, WebhookRule
from tests.fakes.odoo import DB, HUB_API_KEY, HUB_PASSWORD, HUB_UID

pytestmark = pytest.mark.django_db
SECRETS = ("password", "api_key", "push_token")


def new_connection(api, fake, **extra):
    payload = {
        "name": "prod",
        "url": fake.url,
        "database": DB,
        "username": "hub",
        "password": HUB_PASSWORD,
        **extra,
    }
    return api.post("/api/connections/", payload, format="json")


def test_creating_a_connection_returns_the_push_token_once(api, fake_odoo):
    response = new_connection(api, fake_odoo, api_key=HUB_API_KEY)
    assert response.status_code == 201, response.json()
    body = response.json()
    token = body["push_token"]
    conn = OdooConnection.objects.get(pk=body["id"])
    assert conn.push_token_hash == token_hash(token)
    assert "password" not in body and "api_key" not in body
    assert body["has_password"] and body["has_api_key"] and body["has_push_token"]
    again = api.get(f"/api/connections/{conn.pk}/").json()
    assert not set(SECRETS) & again.keys()
    assert token not in str(again)


def test_connection_secrets_are_encrypted_in_the_database(api, fake_odoo):
    conn_id = new_connection(api, fake_odoo, api_key=HUB_API_KEY).json()["id"]
    with db.cursor() as cursor:
        cursor.execute("SELECT password, api_key FROM hub_odooconnection WHERE id = %s", [conn_id])
        password, api_key = cursor.fetchone()
    assert HUB_PASSWORD not in password and HUB_API_KEY not in api_key
    assert OdooConnection.objects.get(pk=conn_id).api_key == HUB_API_KEY


def test_a_given_push_token_is_stored_hashed_and_not_echoed(api, fake_odoo):
    response = new_connection(api, fake_odoo, push_token="a-token-chosen-by-the-user")
    assert "push_token" not in response.json()
    conn = OdooConnection.objects.get(pk=response.json()["id"])
    assert conn.push_token_hash == token_hash("a-token-chosen-by-the-user")


def test_a_connection_needs_a_password_or_an_api_key(api, fake_odoo):
    response = new_connection(api, fake_odoo, password="")
    assert response.status_code == 400
    assert "password" in response.json()


def test_connection_list_and_update_keep_secrets_write_only(api, odoo_conn):
    listing = api.get("/api/connections/").json()["results"]
    assert [c["name"] for c in listing] == ["fake"]
    response = api.patch(f"/api/connections/{odoo_conn.pk}/", {"poll_interval": 120}, format="json")
    assert response.status_code == 200 and response.json()["poll_interval"] == 120
    odoo_conn.refresh_from_db()
    assert odoo_conn.password == HUB_PASSWORD


def test_connection_test_action_reports_version_and_uid_or_the_error(api, odoo_conn):
    assert api.post(f"/api/connections/{odoo_conn.pk}/test/").json() == {
        "ok": True,
        "version": "17.0",
        "uid": HUB_UID,
        "transport": "xmlrpc",
        "error": "",
    }
    api.patch(f"/api/connections/{odoo_conn.pk}/", {"password": "wrong"}, format="json")
    result = api.post(f"/api/connections/{odoo_conn.pk}/test/").json()
    assert result["ok"] is False and result["error"].startswith("Login failed")
    assert api.get(f"/api/connections/{odoo_conn.pk}/").json()["last_error"] == result["error"]


def test_connection_poll_and_new_push_token_actions(api, odoo_conn, fake_odoo):
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    assert api.post(f"/api/connections/{odoo_conn.pk}/poll/").status_code == 202
    hook.refresh_from_db()
    assert hook.baseline_done
    token = api.post(f"/api/connections/{odoo_conn.pk}/push-token/").json()["push_token"]
    odoo_conn.refresh_from_db()
    assert odoo_conn.push_token_hash == token_hash(token)


def test_hooks_crud_with_validation(api, odoo_conn):
    response = api.post(
        "/api/hooks/",
        {
            "connection": odoo_conn.pk,
            "model": "res.partner",
            "events": ["write", "unlink"],
            "domain": "[('is_company','=',True)]",
            "tracked_fields": ["email", "phone"],
            "cursor": "2020-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["events"] == ["write", "unlink"] and body["tracked_fields"] == ["email", "phone"]
    assert body["cursor"] is None and body["echo_suppression"] == "exact"
    bad = api.post(
        "/api/hooks/",
        {
            "connection": odoo_conn.pk,
            "model": "sale.order",
            "events": ["explode"],
            "domain": "[('state', '=')]",
            "tracked_fields": ["partner_id.name"],
        },
        format="json",
    ).json()
    assert set(bad) == {"events", "domain", "tracked_fields"}
    assert "Invalid domain" in bad["domain"][0]
    hook_id = body["id"]
    assert api.patch(f"/api/hooks/{hook_id}/", {"active": False}, format="json").status_code == 200
    assert api.delete(f"/api/hooks/{hook_id}/").status_code == 204


def test_hook_poll_backfill_and_preview_actions(api, odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_BACKFILL_PAUSE = 0
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    assert api.post(f"/api/hooks/{hook.pk}/backfill/").status_code == 202
    assert EventHistory.objects.filter(event_code="create", record_id=pid).exists()
    assert api.post(f"/api/hooks/{hook.pk}/poll/").status_code == 202

    rule = WebhookRule.objects.create(
        name="crm", model="res.partner", url="http://127.0.0.1:9/in", http_method="PUT"
    )
    rule.events.set(WebhookEvent.objects.filter(code="write"))
    PayloadField.objects.create(rule=rule, source_path="email")
    fake_odoo.write("res.partner", pid, {"email": "b@example.com"})
    preview = api.post(
        f"/api/hooks/{hook.pk}/preview/", {"rule": rule.pk, "record_id": pid}, format="json"
    )
    assert preview.status_code == 200, preview.json()
    result = preview.json()
    assert (result["method"], result["url"]) == ("PUT", "http://127.0.0.1:9/in")
    assert '"email":"b@example.com"' in result["body"]
    assert result["event"]["changes"] == {
        "email": {"before": "a@example.com", "after": "b@example.com"}
    }
    missing = api.post(
        f"/api/hooks/{hook.pk}/preview/", {"rule": rule.pk, "record_id": 999}, format="json"
    )
    assert missing.status_code == 400
    fake_odoo.set_down("500")
    down = api.post(
        f"/api/hooks/{hook.pk}/preview/", {"rule": rule.pk, "record_id": pid}, format="json"
    )
    assert down.status_code == 502 and down.json()["detail"].startswith("Odoo unavailable")


def test_history_is_read_only_and_filterable(api, odoo_conn):
    def event(**kw):
        defaults = {
            "occurred_at": "2026-02-01T10:00:00Z",
            "source": "fake",
            "model": "res.partner",
            "record_id": 1,
            "event_code": "write",
        }
        return EventHistory.objects.create(**{**defaults, **kw})

    first = event()
    event(model="sale.order", event_code="create", occurred_at="2026-02-02T10:00:00Z")
    event(source="api", event_code="unlink")
    assert api.get("/api/history/", {"model": "sale.order"}).json()["count"] == 1
    assert api.get("/api/history/", {"event": "unlink"}).json()["count"] == 1
    assert api.get("/api/history/", {"source": "fake"}).json()["count"] == 2
    assert api.get("/api/history/", {"date": "2026-02-02"}).json()["count"] == 1
    detail = api.get(f"/api/history/{first.event_id}/").json()
    assert detail["id"] == str(first.event_id) and detail["type"] == "res.partner.write"
    assert api.delete(f"/api/history/{first.event_id}/").status_code == 405
    assert api.post("/api/history/", {}, format="json").status_code == 405


def client_with(*perms: str):
    """A token client for a non-superuser holding only `perms` ("app.codename")."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    name = "operator-" + "-".join(p.split(".")[1] for p in perms)
    user = get_user_model().objects.create_user(name, password="pw-operator-123")
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_actions_that_change_state_need_the_change_permission_not_add(odoo_conn, fake_odoo):
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    adder = client_with(
        "hub.view_odooconnection",
        "hub.add_odooconnection",
        "hub.view_modelhook",
        "hub.add_modelhook",
    )
    for url in (
        f"/api/connections/{odoo_conn.pk}/test/",
        f"/api/connections/{odoo_conn.pk}/poll/",
        f"/api/connections/{odoo_conn.pk}/push-token/",
        f"/api/hooks/{hook.pk}/poll/",
        f"/api/hooks/{hook.pk}/backfill/",
    ):
        assert adder.post(url).status_code == 403, url
    hook.refresh_from_db()
    odoo_conn.refresh_from_db()
    assert not hook.baseline_done and odoo_conn.version == "" and odoo_conn.uid is None


def test_a_user_with_change_permission_may_test_poll_and_backfill(odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_BACKFILL_PAUSE = 0
    fake_odoo.create("res.partner", {"name": "Azure"})
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    changer = client_with("hub.change_odooconnection", "hub.change_modelhook")
    assert changer.post(f"/api/connections/{odoo_conn.pk}/test/").json()["ok"] is True
    assert changer.post(f"/api/hooks/{hook.pk}/backfill/").status_code == 202
    assert changer.post(f"/api/hooks/{hook.pk}/poll/").status_code == 202
    assert EventHistory.objects.filter(event_code="create").count() == 1


def test_preview_needs_view_on_hooks_and_rules_only(odoo_conn, fake_odoo):
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    rule = WebhookRule.objects.create(name="crm", model="res.partner", url="http://127.0.0.1:9/")
    payload = {"rule": rule.pk, "record_id": pid}
    url = f"/api/hooks/{hook.pk}/preview/"
    hooks_only = client_with("hub.view_modelhook")
    assert hooks_only.post(url, payload, format="json").status_code == 403
    viewer = client_with("hub.view_modelhook", "rules.view_webhookrule")
    assert viewer.post(url, payload, format="json").status_code == 200
    assert EventHistory.objects.count() == 0


@pytest.mark.parametrize("fake_odoo", ["19.0-json2"], indirect=True)
def test_the_protocol_can_be_forced_and_the_detected_transport_is_shown(api, odoo_conn):
    url = f"/api/connections/{odoo_conn.pk}/"
    assert api.get(url).json()["protocol"] == "auto"
    assert api.post(f"{url}test/").json()["transport"] == "json2"
    assert api.get(url).json()["transport"] == "json2"
    api.patch(url, {"protocol": "xmlrpc"}, format="json")
    assert api.get(url).json()["transport"] == "", "forgotten until the next login"
    result = api.post(f"{url}test/").json()
    assert result["ok"] is False and "HTTP 404" in result["error"], "this Odoo has no XML-RPC"
    assert api.patch(url, {"protocol": "soap"}, format="json").status_code == 400


def test_json2_without_an_api_key_is_refused(api, odoo_conn):
    response = api.patch(f"/api/connections/{odoo_conn.pk}/", {"protocol": "json2"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"protocol": ["JSON-2 needs an API key."]}
