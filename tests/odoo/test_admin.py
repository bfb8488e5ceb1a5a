"""Admin pages and actions of connections, hooks and the event history."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils.html import escape

from hub.crypto import token_hash
from hub.lib.signing import signing_key
from hub.models import EventHistory, ModelHook, OdooConnection, RecordSnapshot
from rules.models import PayloadField, WebhookEvent, WebhookRule
from tests.fakes.odoo import DB, HUB_PASSWORD

pytestmark = pytest.mark.django_db


def act(client, model: str, action: str, ids: list[int]):
    url = reverse(f"admin:hub_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": ids}, follow=True)


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_connection_is_added_with_a_write_only_password(admin_client, fake_odoo):
    response = admin_client.post(
        reverse("admin:hub_odooconnection_add"),
        {
            "name": "prod",
            "url": fake_odoo.url,
            "database": DB,
            "username": "hub",
            "password": HUB_PASSWORD,
            "api_key": "",
            "poll_interval": 60,
            "timeout": 10,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content
    conn = OdooConnection.objects.get(name="prod")
    assert conn.password == HUB_PASSWORD
    with db.cursor() as cursor:
        cursor.execute("SELECT password FROM hub_odooconnection WHERE id = %s", [conn.pk])
        assert HUB_PASSWORD not in cursor.fetchone()[0]
    page = admin_client.get(reverse("admin:hub_odooconnection_change", args=[conn.pk]))
    assert HUB_PASSWORD not in page.content.decode()
    assert "Currently: set. Leave blank to keep it." in page.content.decode()


def test_the_protocol_is_chosen_on_the_connection_form(admin_client, fake_odoo):
    form = {
        "name": "prod",
        "url": fake_odoo.url,
        "database": DB,
        "username": "hub",
        "password": HUB_PASSWORD,
        "api_key": "",
        "poll_interval": 60,
        "timeout": 10,
        "protocol": "json2",
    }
    response = admin_client.post(reverse("admin:hub_odooconnection_add"), form)
    assert response.status_code == 200
    assert "JSON-2 needs an API key." in response.content.decode()
    response = admin_client.post(
        reverse("admin:hub_odooconnection_add"), form | {"protocol": "xmlrpc"}
    )
    assert response.status_code == 302, response.content
    assert OdooConnection.objects.get(name="prod").protocol == "xmlrpc"


def test_saving_with_a_blank_password_keeps_it(admin_client, odoo_conn):
    admin_client.post(
        reverse("admin:hub_odooconnection_change", args=[odoo_conn.pk]),
        {
            "name": "fake",
            "url": odoo_conn.url,
            "database": DB,
            "username": "hub",
            "password": "",
            "api_key": "",
            "poll_interval": 30,
            "timeout": 5,
            "active": "on",
        },
    )
    odoo_conn.refresh_from_db()
    assert (odoo_conn.password, odoo_conn.poll_interval) == (HUB_PASSWORD, 30)


def test_test_connection_shows_version_transport_and_uid(admin_client, odoo_conn):
    response = act(admin_client, "odooconnection", "test_connection", [odoo_conn.pk])
    assert texts(response) == ["fake: Odoo 17.0 over XML-RPC, logged in as uid 6."]
    odoo_conn.refresh_from_db()
    assert (odoo_conn.version, odoo_conn.transport) == ("17.0", "xmlrpc")


@pytest.mark.parametrize("fake_odoo", ["19.0-json2"], indirect=True)
def test_test_connection_finds_json2_on_odoo_19_with_an_api_key(admin_client, odoo_conn):
    response = act(admin_client, "odooconnection", "test_connection", [odoo_conn.pk])
    assert texts(response) == ["fake: Odoo 19.0 over JSON-2, logged in as uid 6."]
    odoo_conn.refresh_from_db()
    assert (odoo_conn.version, odoo_conn.transport) == ("19.0", "json2")


def test_test_connection_shows_the_clear_error(admin_client, odoo_conn):
    odoo_conn.password = "wrong"
    odoo_conn.save()
    response = act(admin_client, "odooconnection", "test_connection", [odoo_conn.pk])
    (message,) = texts(response)
    assert message.startswith("fake: Login failed: Odoo refused the login 'hub'")
    page = admin_client.get(reverse("admin:hub_odooconnection_changelist")).content.decode()
    assert "Login failed" in page and "Traceback" not in page


def test_poll_now_polls_the_connection(admin_client, odoo_conn, fake_odoo):
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    act(admin_client, "odooconnection", "poll_now", [odoo_conn.pk])
    hook.refresh_from_db()
    assert hook.baseline_done and hook.last_result.startswith("baseline taken")


def test_a_push_token_is_shown_once_and_only_its_hash_stored(admin_client, odoo_conn):
    response = act(admin_client, "odooconnection", "generate_push_token", [odoo_conn.pk])
    (message,) = texts(response)
    token = message.rsplit(": ", 1)[1]
    odoo_conn.refresh_from_db()
    assert odoo_conn.push_token_hash == token_hash(token)
    page = admin_client.get(reverse("admin:hub_odooconnection_change", args=[odoo_conn.pk]))
    assert token not in page.content.decode()


def test_the_field_picker_view_returns_fields_get(admin_client, odoo_conn, fake_odoo):
    url = reverse("admin:hub_odooconnection_fields", args=[odoo_conn.pk])
    data = admin_client.get(url, {"model": "sale.order"}).json()
    assert data["fields"]["partner_id"]["relation"] == "res.partner"
    admin_client.get(url, {"model": "sale.order"})
    assert fake_odoo.count("fields_get") == 1, "cached per connection and model"
    default = reverse("admin:hub_odooconnection_fields_default")
    assert "email" in admin_client.get(default, {"model": "res.partner"}).json()["fields"]


def test_the_field_picker_reports_odoo_errors(admin_client, odoo_conn):
    url = reverse("admin:hub_odooconnection_fields", args=[odoo_conn.pk])
    response = admin_client.get(url, {"model": "x.nothing"})
    assert response.status_code == 502
    assert response.json()["error"] == "Odoo refused: Object x.nothing doesn't exist"
    assert admin_client.get(url).status_code == 400


def test_a_hook_is_added_with_events_tracked_fields_and_the_picker(admin_client, odoo_conn):
    page = admin_client.get(reverse("admin:hub_modelhook_add")).content.decode()
    assert "hub/field_picker.js" in page
    response = admin_client.post(
        reverse("admin:hub_modelhook_add"),
        {
            "connection": odoo_conn.pk,
            "model": "res.partner",
            "events": ["create", "write"],
            "domain": "[('is_company', '=', True)]",
            "tracked_fields": "email, name",
            "echo_suppression": "exact",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content
    hook = ModelHook.objects.get()
    assert (hook.events, hook.tracked_fields) == (["create", "write"], ["email", "name"])


def test_an_invalid_hook_domain_is_refused_with_a_message(admin_client, odoo_conn):
    response = admin_client.post(
        reverse("admin:hub_modelhook_add"),
        {
            "connection": odoo_conn.pk,
            "model": "res.partner",
            "domain": "[('a', '=')]",
            "tracked_fields": "partner_id.name",
            "active": "on",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Invalid domain" in errors["domain"][0]
    assert "no dotted paths" in errors["tracked_fields"][0]


def test_hook_actions_backfill_and_reset(admin_client, odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_BACKFILL_PAUSE = 0
    fake_odoo.create("res.partner", {"name": "Azure"})
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    act(admin_client, "modelhook", "backfill", [hook.pk])
    assert EventHistory.objects.filter(event_code="create").count() == 1
    act(admin_client, "modelhook", "reset_baseline", [hook.pk])
    hook.refresh_from_db()
    assert not hook.baseline_done and not RecordSnapshot.objects.exists()
    act(admin_client, "modelhook", "poll_now", [hook.pk])
    hook.refresh_from_db()
    assert hook.baseline_done


def test_preview_payload_shows_the_request_a_rule_would_send(admin_client, odoo_conn, fake_odoo):
    country = fake_odoo.create("res.country", {"name": "Belgium", "code": "BE"})
    pid = fake_odoo.create("res.partner", {"name": "Azure", "country_id": country})
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    rule = WebhookRule.objects.create(
        name="crm",
        model="res.partner",
        url="http://127.0.0.1:9/in",
        test_mode=True,
        auth_type="bearer",
        auth_token="tok-secret-123",
    )
    rule.events.set(WebhookEvent.objects.filter(code="write"))
    PayloadField.objects.create(rule=rule, source_path="country_id.code", payload_key="country")
    url = reverse("admin:hub_modelhook_preview", args=[hook.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"rule": rule.pk, "record_id": pid, "event": "write"})
    body = response.context["body"]
    assert '"country": "BE"' in body and '"record_id": ' in body
    assert "webhook-signature" in response.context["headers"]
    raw = response.context["raw_body"]
    assert raw.startswith('{"id":') and '"country":"BE"' in raw, "the exact bytes, not pretty"
    assert escape(raw) in response.content.decode()
    headers = json.loads(response.context["headers"])
    signed = f"{headers['webhook-timestamp']}.{raw}".encode()
    digest = hmac.new(signing_key(rule.secret), signed, hashlib.sha256).hexdigest()
    assert headers["X-Webhook-Signature"] == f"sha256={digest}"
    assert headers["Authorization"] == "***" and "tok-secret-123" not in response.content.decode()
    assert EventHistory.objects.count() == 0, "a preview records nothing"
    missing = admin_client.post(url, {"rule": rule.pk, "record_id": 999, "event": "write"})
    assert missing.context["error"] == "res.partner record 999 does not exist in Odoo"


def test_event_history_is_read_only_with_pretty_json_and_log_links(admin_client, odoo_conn):
    pid = 42
    event = EventHistory.objects.create(
        occurred_at="2026-01-01T00:00:00Z",
        source="fake",
        model="res.partner",
        record_id=pid,
        event_code="write",
        data={"email": "b@example.com"},
        changes={"email": {"before": "a", "after": "b"}},
        user={"id": 2, "name": "Mitchell"},
    )
    listing = admin_client.get(reverse("admin:hub_eventhistory_changelist"))
    assert "res.partner.write" in listing.content.decode()
    page = admin_client.get(reverse("admin:hub_eventhistory_change", args=[event.pk]))
    html = page.content.decode()
    assert "&quot;email&quot;: &quot;b@example.com&quot;" in html
    assert f"event__id__exact={event.pk}" in html
    assert admin_client.get(reverse("admin:hub_eventhistory_add")).status_code == 403
    assert 'name="_save"' not in html


def test_a_view_only_staff_user_cannot_run_the_actions(client, odoo_conn, fake_odoo):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_odooconnection", "view_modelhook"])
    )
    client.force_login(user)
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner", baseline_done=True)
    RecordSnapshot.objects.create(hook=hook, record_id=1, write_date="", values={})
    for model, obj, actions in (
        ("odooconnection", odoo_conn, ("test_connection", "poll_now", "generate_push_token")),
        ("modelhook", hook, ("poll_now", "backfill", "reset_baseline")),
    ):
        page = client.get(reverse(f"admin:hub_{model}_changelist"))
        assert page.status_code == 200
        offered = (
            page.context["action_form"].fields["action"].choices
            if page.context.get("action_form")
            else []
        )
        assert not {name for name, _ in offered} & set(actions)
        for action in actions:
            act(client, model, action, [obj.pk])
    hook.refresh_from_db()
    odoo_conn.refresh_from_db()
    assert hook.baseline_done and RecordSnapshot.objects.count() == 1
    assert odoo_conn.version == "" and odoo_conn.push_token_hash == ""
