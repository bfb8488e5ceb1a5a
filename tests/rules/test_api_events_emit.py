"""The event catalogue API and POST /api/emit/ (custom events)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hub.models import EventHistory
from rules.models import WebhookEvent, WebhookRule


def client_for(username: str, *perms: str) -> APIClient:
    user = get_user_model().objects.create_user(username, password="pw-user-12345")
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# --- events -------------------------------------------------------------------------------------


def test_a_custom_event_is_created_with_the_design_fields(api):
    body = {"code": "sale.order.confirmed", "name": "Order confirmed", "model": "sale.order"}
    response = api.post("/api/events/", body, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "code": "sale.order.confirmed",
        "name": "Order confirmed",
        "model": "sale.order",
        "description": "",
        "is_standard": False,
        "active": True,
    }


def test_is_standard_cannot_be_set_through_the_api(api):
    response = api.post("/api/events/", {"code": "x", "name": "X", "is_standard": True})
    assert response.status_code == 201
    assert WebhookEvent.objects.get(code="x").is_standard is False


def test_a_standard_event_cannot_be_deleted(api):
    write = WebhookEvent.objects.get(code="write")
    response = api.delete(f"/api/events/{write.pk}/")
    assert response.status_code == 400
    assert "cannot be deleted" in response.json()["detail"]
    assert WebhookEvent.objects.filter(code="write").exists()


@pytest.mark.parametrize(
    "change", [{"code": "update"}, {"name": "Updated"}, {"model": "sale.order"}]
)
def test_a_standard_event_cannot_be_renamed(api, change):
    write = WebhookEvent.objects.get(code="write")
    response = api.patch(f"/api/events/{write.pk}/", change, format="json")
    assert response.status_code == 400
    assert "cannot be changed" in str(response.json())


def test_a_standard_event_description_can_be_edited(api):
    write = WebhookEvent.objects.get(code="write")
    response = api.patch(f"/api/events/{write.pk}/", {"description": "Any update"})
    assert response.status_code == 200
    assert WebhookEvent.objects.get(pk=write.pk).description == "Any update"


def test_a_custom_event_in_use_by_a_rule_cannot_be_deleted(api):
    event = WebhookEvent.objects.create(code="shipped", name="Shipped")
    rule = WebhookRule.objects.create(name="Ship", model="stock.picking", url="https://x.test")
    rule.events.add(event)
    response = api.delete(f"/api/events/{event.pk}/")
    assert response.status_code == 400
    assert "Ship" in response.json()["detail"]
    rule.delete()
    assert api.delete(f"/api/events/{event.pk}/").status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "has space", "name": "x"}, "code"),
        ({"code": "write", "name": "dup"}, "code"),
        ({"code": "ok", "name": "x", "model": "Not A Model"}, "model"),
        ({"name": "x"}, "code"),
    ],
)
def test_an_invalid_event_is_a_400(api, body, field):
    response = api.post("/api/events/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


# --- emit ---------------------------------------------------------------------------------------


EMIT = {
    "model": "sale.order",
    "event": "write",
    "record_id": 7,
    "data": {"state": "sale", "amount_total": 1500},
    "changes": {"state": {"before": "draft", "after": "sale"}},
}


def test_emit_records_an_api_event_and_answers_202_with_its_id(api):
    response = api.post("/api/emit/", EMIT, format="json")
    assert response.status_code == 202
    body = response.json()
    history = EventHistory.objects.get()
    assert body == {"id": str(history.event_id), "deliveries": 0}
    assert (history.source, history.model, history.event_code, history.record_id) == (
        "api",
        "sale.order",
        "write",
        7,
    )
    assert history.data == EMIT["data"]
    assert history.changes == EMIT["changes"]


def test_emit_counts_the_deliveries_of_matching_rules(
    api, receiver, django_capture_on_commit_callbacks
):
    rule = WebhookRule.objects.create(
        name="big", model="sale.order", url=receiver.url_for("/hook"),
        condition="[('amount_total', '>', 1000)]",
    )  # fmt: skip
    rule.events.add(WebhookEvent.objects.get(code="write"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/emit/", EMIT, format="json")
    assert response.json()["deliveries"] == 1
    (request,) = receiver.wait_for(1)
    body = request.json()
    assert body["id"] == response.json()["id"]
    assert body["type"] == "sale.order.write"
    assert body["source"] == "api"
    assert body["changes"] == EMIT["changes"]


def test_emit_accepts_a_custom_event_code_from_the_catalogue(api):
    WebhookEvent.objects.create(code="sale.order.confirmed", name="Confirmed")
    body = {"model": "sale.order", "event": "sale.order.confirmed", "record_id": 1}
    assert api.post("/api/emit/", body, format="json").status_code == 202
    assert EventHistory.objects.get().data == {}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"event": "shipped"}, "event"),
        ({"model": "Sale Order"}, "model"),
        ({"model": ""}, "model"),
        ({"data": [1, 2]}, "data"),
        ({"record_id": "seven"}, "record_id"),
        ({"changes": {"state": "sale"}}, "changes"),
        ({"changes": []}, "changes"),
    ],
)
def test_emit_rejects_bad_input_with_400(api, override, field):
    response = api.post("/api/emit/", {**EMIT, **override}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not EventHistory.objects.exists()


def test_emit_rejects_an_inactive_event_code(api):
    WebhookEvent.objects.filter(code="write").update(active=False)
    response = api.post("/api/emit/", EMIT, format="json")
    assert response.status_code == 400
    assert "inactive" in str(response.json()["event"])


@pytest.mark.parametrize("body", [[1], "x"])
def test_emit_with_a_non_object_body_is_a_400(api, body):
    assert api.post("/api/emit/", body, format="json").status_code == 400


@pytest.mark.django_db
def test_emit_needs_authentication():
    assert APIClient().post("/api/emit/", EMIT, format="json").status_code == 401


@pytest.mark.django_db
def test_emit_needs_the_permission_to_add_event_history():
    assert client_for("reader").post("/api/emit/", EMIT, format="json").status_code == 403
    allowed = client_for("emitter", "hub.add_eventhistory")
    assert allowed.post("/api/emit/", EMIT, format="json").status_code == 202


@pytest.mark.django_db
def test_emit_does_not_answer_get():
    assert client_for("emitter", "hub.add_eventhistory").get("/api/emit/").status_code == 405


def test_an_emit_reads_the_token_and_the_rules_version_in_one_statement_and_writes_its_event(
    api, django_capture_on_commit_callbacks
):
    rule = WebhookRule.objects.create(name="r", model="sale.order", url="https://r.example.com/h")
    rule.events.add(WebhookEvent.objects.get(code="write"))
    assert api.post("/api/emit/", EMIT, format="json").json()["deliveries"] == 1  # loads rules
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as planning,
    ):
        response = api.post("/api/emit/", EMIT, format="json")
    assert response.json()["deliveries"] == 1
    # The token lookup, which also reads the rules' version (once for the check and the
    # matching), and the event: no query per rule, event or payload field, and no delivery
    # yet (savepoints aside).
    statements = [q["sql"] for q in queries.captured_queries]
    assert [s.split()[0] for s in statements if s.split()[0] in ("SELECT", "INSERT", "UPDATE")] == [
        "SELECT", "INSERT"
    ]  # fmt: skip
    assert "rules_rulesversion" in statements[0]
    # Its deliveries are planned once it commits (hub.unplanned: in a worker).
    assert len(planning) == 1
    event = EventHistory.objects.get(event_id=response.json()["id"])
    assert event.pending_rules == [rule.pk]


def test_a_rule_added_between_two_emits_counts_in_the_second(api):
    # The version read with the token is as fresh as a read of its own: no stale rule set.
    assert api.post("/api/emit/", EMIT, format="json").json()["deliveries"] == 0
    rule = WebhookRule.objects.create(name="r", model="sale.order", url="https://r.example.com/h")
    rule.events.add(WebhookEvent.objects.get(code="write"))
    assert api.post("/api/emit/", EMIT, format="json").json()["deliveries"] == 1
    rule.delete()
    assert api.post("/api/emit/", EMIT, format="json").json()["deliveries"] == 0
