"""The rules admin: pages render, secrets stay masked, validation messages, actions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from delivery.models import WebhookLog
from hub.models import EventHistory
from rules.models import PayloadField, WebhookEvent, WebhookRule
from tests import factories

pytestmark = pytest.mark.django_db
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ADD = reverse("admin:rules_webhookrule_add")
CHANGELIST = reverse("admin:rules_webhookrule_changelist")


def change_url(rule: WebhookRule) -> str:
    return reverse("admin:rules_webhookrule_change", args=[rule.pk])


def make_rule(**kwargs: Any) -> WebhookRule:
    return factories.make_rule(**{"name": "Orders", "model": "sale.order", **kwargs})


def form_data(**overrides) -> dict:
    data = {
        "name": "Big orders",
        "description": "",
        "model": "sale.order",
        "events": [WebhookEvent.objects.get(code="write").pk],
        "connection": "",
        "active": "on",
        "url": "https://crm.example.com/hook",
        "http_method": "POST",
        "dispatch_mode": "async",
        "timeout": "15",
        "headers": '{"X-Tenant": "acme"}',
        "auth_type": "none",
        "auth_username": "",
        "auth_password": "",
        "auth_token": "",
        "api_key_header": "X-API-Key",
        "api_key": "",
        "secret": "",
        "condition": "[('amount_total', '>', 1000)]",
        "trigger_fields": "[]",
        "include_changes": "on",
        "max_retries": "10",
        "retry_initial_delay": "60",
        "retry_multiplier": "2.0",
        "retry_max_interval": "86400",
        "payload_fields-TOTAL_FORMS": "1",
        "payload_fields-INITIAL_FORMS": "0",
        "payload_fields-MIN_NUM_FORMS": "0",
        "payload_fields-MAX_NUM_FORMS": "1000",
        "payload_fields-0-sequence": "10",
        "payload_fields-0-source_path": "partner_id.name",
        "payload_fields-0-payload_key": "customer",
        "payload_fields-0-field_type": "auto",
        "payload_fields-0-transform": "upper",
        "payload_fields-0-transform_arg": "",
        "payload_fields-0-default_value": "",
        "payload_fields-0-include": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "name",
    [
        "admin:rules_webhookrule_changelist",
        "admin:rules_webhookrule_add",
        "admin:rules_webhookevent_changelist",
        "admin:rules_webhookevent_add",
    ],
)
def test_rule_and_event_pages_render_for_a_superuser(admin_client, name):
    make_rule()
    assert admin_client.get(reverse(name)).status_code == 200


def test_a_rule_change_page_renders_with_its_payload_fields(admin_client):
    rule = make_rule(secret=SECRET)
    PayloadField.objects.create(rule=rule, source_path="email", transform="lower")
    response = admin_client.get(change_url(rule))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="email"' in html
    assert "Send test now" in html and "Rotate signing secret" in html


def test_a_rule_change_page_links_to_its_logs_and_retries_which_filter_by_it(admin_client):
    rule, other = make_rule(), make_rule(name="Other")
    WebhookLog.objects.create(rule=rule, url="https://x.test/mine", status="success")
    WebhookLog.objects.create(rule=other, url="https://x.test/theirs", status="success")
    html = admin_client.get(change_url(rule)).content.decode()
    logs = reverse("admin:delivery_webhooklog_changelist") + f"?rule__id__exact={rule.pk}"
    retries = reverse("admin:delivery_webhookretry_changelist") + f"?rule__id__exact={rule.pk}"
    assert f'href="{logs}"' in html and f'href="{retries}"' in html
    listed = admin_client.get(logs)
    assert listed.status_code == 200 and admin_client.get(retries).status_code == 200
    assert "x.test/mine" in listed.content.decode()
    assert "x.test/theirs" not in listed.content.decode()


def test_the_change_page_never_shows_secrets(admin_client):
    rule = make_rule(secret=SECRET, auth_type="bearer", auth_token="tok-123456")
    html = admin_client.get(change_url(rule)).content.decode()
    assert SECRET not in html and "tok-123456" not in html
    assert 'type="password"' in html
    assert "Currently: set." in html


def test_the_changelist_filters_by_event_and_searches_by_url(admin_client):
    make_rule(name="Partners", model="res.partner", url="https://partners.example/hook")
    response = admin_client.get(CHANGELIST, {"q": "partners.example"})
    assert response.status_code == 200
    assert "Partners" in response.content.decode()
    write = WebhookEvent.objects.get(code="write")
    assert admin_client.get(CHANGELIST, {"events__id__exact": write.pk}).status_code == 200


def test_adding_a_rule_saves_it_with_its_payload_field_and_shows_the_secret_once(admin_client):
    response = admin_client.post(ADD, form_data())
    assert response.status_code == 200
    rule = WebhookRule.objects.get()
    assert rule.secret.startswith("whsec_")
    html = response.content.decode()
    assert rule.secret in html and "not shown again" in html
    assert "no-store" in response["Cache-Control"]
    assert [(f.source_path, f.payload_key, f.transform) for f in rule.payload_fields.all()] == [
        ("partner_id.name", "customer", "upper")
    ]
    assert rule.headers == {"X-Tenant": "acme"}


def test_adding_a_rule_with_a_typed_secret_uses_it_and_does_not_echo_it(admin_client):
    response = admin_client.post(ADD, form_data(secret=SECRET))
    assert response.status_code == 302
    assert WebhookRule.objects.get().secret == SECRET


def test_a_blank_secret_keeps_the_stored_one_and_a_typed_one_replaces_it(admin_client):
    rule = make_rule(secret=SECRET, auth_type="basic", auth_username="u", auth_password="pw-1")
    data = form_data(
        name="Renamed", auth_type="basic", auth_username="u", **{"payload_fields-TOTAL_FORMS": "0"}
    )
    assert admin_client.post(change_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.secret, rule.auth_password) == ("Renamed", SECRET, "pw-1")
    other = "whsec_" + "QUJD" * 8
    data["secret"] = other
    data["auth_password"] = "pw-2"
    admin_client.post(change_url(rule), data)
    rule.refresh_from_db()
    assert (rule.secret, rule.auth_password) == (other, "pw-2")


def test_forget_credentials_erases_the_stored_ones(admin_client):
    rule = make_rule(auth_token="tok-1", api_key="key-1")
    data = form_data(clear_credentials="on", **{"payload_fields-TOTAL_FORMS": "0"})
    assert admin_client.post(change_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert (rule.auth_token, rule.api_key) == ("", "")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"condition": "[('state', '=', 'sale'"}, "Invalid domain: syntax error"),
        ({"url": "ftp://x.test/"}, "http:// or https://"),
        ({"http_method": "FETCH"}, "Select a valid choice"),
        ({"headers": "[1, 2]"}, "Expected an object"),
        ({"trigger_fields": '["state", 1]'}, "a JSON list of names"),
        ({"trigger_fields": "partner_id.name"}, "Not field names:"),
        ({"secret": "hunter2"}, "Secret 1 is not a valid signing secret"),
        ({"auth_type": "bearer"}, "Bearer authentication needs a token"),
        ({"payload_fields-0-transform": "truncate"}, "truncate needs a whole number"),
        (
            {"payload_fields-0-transform": "value_map", "payload_fields-0-transform_arg": "[]"},
            "value_map needs a JSON object",
        ),
        (
            {"payload_fields-0-transform": "hook", "payload_fields-0-transform_arg": "os.system"},
            "not listed in the HUB_TRANSFORM_HOOKS setting",
        ),
    ],
)
def test_invalid_input_is_refused_with_a_message_that_says_what_is_wrong(
    admin_client, overrides, message
):
    response = admin_client.post(ADD, form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WebhookRule.objects.exists()


def test_two_inline_fields_writing_the_same_key_are_refused(admin_client):
    data = form_data(
        **{
            "payload_fields-TOTAL_FORMS": "2",
            "payload_fields-1-sequence": "20",
            "payload_fields-1-source_path": "ref",
            "payload_fields-1-payload_key": "customer",
            "payload_fields-1-field_type": "auto",
            "payload_fields-1-include": "on",
        }
    )
    response = admin_client.post(ADD, data)
    assert "Two payload fields write the key &#x27;customer&#x27;" in response.content.decode()


def test_reactivating_a_rule_in_the_admin_clears_the_deactivated_reason(admin_client):
    rule = make_rule(secret=SECRET)
    WebhookRule.objects.filter(pk=rule.pk).update(active=False, deactivated_reason="HTTP 410")
    admin_client.post(change_url(rule), form_data(**{"payload_fields-TOTAL_FORMS": "0"}))
    rule.refresh_from_db()
    assert rule.active and rule.deactivated_reason == ""


def test_the_rotate_action_shows_the_new_secret_and_keeps_the_old_one(admin_client):
    rule = make_rule(secret=SECRET)
    response = admin_client.post(
        CHANGELIST, {"action": "rotate_signing_secret", "_selected_action": [rule.pk]}
    )
    assert response.status_code == 200
    rule.refresh_from_db()
    new, old = rule.secrets
    assert old == SECRET
    html = response.content.decode()
    assert new in html and SECRET not in html


def test_the_drop_action_keeps_only_the_newest_secret(admin_client):
    other = "whsec_" + "QUJD" * 8
    rule = make_rule(secret=f"{other} {SECRET}")
    response = admin_client.post(
        CHANGELIST, {"action": "drop_previous_secrets", "_selected_action": [rule.pk]}, follow=True
    )
    rule.refresh_from_db()
    assert rule.secrets == [other]
    assert "Removed 1 previous secret(s)." in [str(m) for m in get_messages(response.wsgi_request)]


def test_the_rotate_button_on_the_change_page_shows_the_new_secret(admin_client):
    rule = make_rule(secret=SECRET)
    response = admin_client.post(reverse("admin:rules_webhookrule_rotate_secret", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.secrets[0] in response.content.decode()
    assert (
        admin_client.get(
            reverse("admin:rules_webhookrule_rotate_secret", args=[rule.pk])
        ).status_code
        == 405
    )


def test_the_send_test_action_shows_the_response_status(admin_client, receiver):
    rule = make_rule(url=receiver.url_for("/hook"))
    response = admin_client.post(
        CHANGELIST, {"action": "send_test_now", "_selected_action": [rule.pk]}, follow=True
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert re.match(r"Orders: success HTTP 200 in \d+ ms", message), message
    (request,) = receiver.wait_for(1)
    assert request.json()["model"] == "sale.order"


def test_the_send_test_button_reports_a_failure(admin_client, receiver):
    receiver.script(503)
    rule = make_rule(url=receiver.url_for("/hook"))
    response = admin_client.post(
        reverse("admin:rules_webhookrule_send_test", args=[rule.pk]), follow=True
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Orders: failed HTTP 503" in message


# transaction=True so the deliveries are queued on commit (and sent by the inline queue).
@pytest.mark.django_db(transaction=True)
def test_the_record_test_event_action_goes_through_matching_to_every_rule(admin_client, receiver):
    rule = make_rule(url=receiver.url_for("/a"))
    other = make_rule(name="Audit", url=receiver.url_for("/b"))
    make_rule(name="Confirmed only", url=receiver.url_for("/c"), condition="[('state','=','x')]")
    response = admin_client.post(
        CHANGELIST, {"action": "record_test_event", "_selected_action": [rule.pk]}, follow=True
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "recorded sale.order.write event" in message
    assert "2 rule(s) matched" in message
    paths = sorted(r.path for r in receiver.wait_for(2))
    assert paths == ["/a", "/b"]
    history = EventHistory.objects.get(source="admin-test")
    assert set(history.logs.values_list("rule", flat=True)) == {rule.pk, other.pk}


def test_a_view_only_user_cannot_run_rule_actions(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_webhookrule"))
    client.force_login(user)
    rule = make_rule()
    page = client.get(CHANGELIST).content.decode()
    for action in ("send_test_now", "record_test_event", "rotate_signing_secret"):
        assert f'value="{action}"' not in page
    client.post(CHANGELIST, {"action": "rotate_signing_secret", "_selected_action": [rule.pk]})
    rule.refresh_from_db()
    assert len(rule.secret.split()) == 1


def test_standard_events_have_a_read_only_code_and_cannot_be_deleted(admin_client):
    write = WebhookEvent.objects.get(code="write")
    url = reverse("admin:rules_webhookevent_change", args=[write.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="code"' not in html
    assert (
        admin_client.get(reverse("admin:rules_webhookevent_delete", args=[write.pk])).status_code
        == 403
    )


def test_the_bulk_delete_action_never_removes_standard_events(admin_client):
    custom = WebhookEvent.objects.create(code="shipped", name="Shipped")
    ids = list(WebhookEvent.objects.values_list("pk", flat=True))
    admin_client.post(
        reverse("admin:rules_webhookevent_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert WebhookEvent.objects.filter(is_standard=True).count() == 3
    assert WebhookEvent.objects.filter(pk=custom.pk).exists()  # refused: standard ones selected


def test_a_custom_event_is_editable_in_the_admin(admin_client):
    custom = WebhookEvent.objects.create(code="shipped", name="Shipped")
    url = reverse("admin:rules_webhookevent_change", args=[custom.pk])
    response = admin_client.post(
        url,
        {"code": "picking.shipped", "name": "Shipped", "model": "stock.picking", "active": "on"},
    )
    assert response.status_code == 302
    assert WebhookEvent.objects.get(pk=custom.pk).code == "picking.shipped"
