"""The XML-RPC push endpoint at /odoo/xmlrpc, called the way Odoo or any XML-RPC client would."""

from __future__ import annotations

import xmlrpc.client

import pytest

from hub.models import EventHistory, ModelHook, RecordSnapshot
from hub.odoo import services, state
from tests.fakes.odoo import ADMIN_UID

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(odoo_conn) -> str:
    return state.issue_push_token(connection_id=odoo_conn.pk)


def call(client, method: str, *params, path: str = "/odoo/xmlrpc"):
    """POST an XML-RPC request; the decoded result, or the Fault raised."""
    body = xmlrpc.client.dumps(params, method).encode()
    response = client.post(path, body, content_type="text/xml")
    assert response.status_code == 200, response.content
    return xmlrpc.client.loads(response.content)[0][0]


def test_version_answers_on_both_urls(client):
    assert call(client, "version")["protocol_version"] == 1
    assert "push_ids" in call(client, "version", path="/odoo/xmlrpc/")["methods"]


def test_push_records_events_with_changes_from_old_values(client, odoo_conn, token):
    ids = call(
        client,
        "push",
        token,
        "res.partner",
        "write",
        [
            {
                "id": 7,
                "values": {"email": "b@example.com", "name": "Azure"},
                "old_values": {"email": "a@example.com", "name": "Azure"},
                "user_id": ADMIN_UID,
                "user_name": "Mitchell Admin",
            },
        ],
    )
    event = EventHistory.objects.get()
    assert ids == [str(event.event_id)]
    assert (event.model, event.event_code, event.record_id) == ("res.partner", "write", 7)
    assert event.changes == {"email": {"before": "a@example.com", "after": "b@example.com"}}
    assert event.user == {"id": ADMIN_UID, "name": "Mitchell Admin"}
    assert event.data == {"id": 7, "email": "b@example.com", "name": "Azure"}
    assert event.source == odoo_conn.name and event.connection == odoo_conn


def test_push_without_old_values_diffs_against_the_snapshot_and_updates_it(
    client, odoo_conn, fake_odoo, token
):
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    hook = ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", tracked_fields=["email"]
    )
    services.poll_connection(connection_id=odoo_conn.pk)  # baseline: the snapshot

    call(
        client,
        "push",
        token,
        "res.partner",
        "write",
        [{"id": pid, "values": {"email": "b@example.com"}}],
    )
    event = EventHistory.objects.get()
    assert event.changes == {"email": {"before": "a@example.com", "after": "b@example.com"}}
    assert event.data["display_name"] == "Azure", "the rest of the record is the snapshot"
    snap = RecordSnapshot.objects.get(hook=hook, record_id=pid)
    assert snap.values["email"] == "b@example.com"

    fake_odoo.tick(2)
    fake_odoo.write("res.partner", pid, {"email": "b@example.com"})
    services.poll_connection(connection_id=odoo_conn.pk)
    assert EventHistory.objects.count() == 1, "the poller does not report the pushed change again"


def test_push_ids_reads_the_records_itself(client, odoo_conn, fake_odoo, token):
    country = fake_odoo.create("res.country", {"name": "Belgium", "code": "BE"})
    a = fake_odoo.create("res.partner", {"name": "Azure", "country_id": country})
    b = fake_odoo.create("res.partner", {"name": "Deco"})
    ids = call(client, "push_ids", token, "res.partner", "create", [a, b, 999])
    events = EventHistory.objects.order_by("record_id")
    assert ids == [str(e.event_id) for e in events]
    assert [e.record_id for e in events] == [a, b], "ids Odoo does not have are skipped"
    assert events[0].data["country_id"] == [country, "Belgium"]
    assert events[0].user == {"id": ADMIN_UID, "name": "Mitchell Admin"}


def test_push_ids_of_deleted_records_uses_the_last_known_values(
    client, odoo_conn, fake_odoo, token
):
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    services.poll_connection(connection_id=odoo_conn.pk)
    fake_odoo.unlink("res.partner", pid)
    call(client, "push_ids", token, "res.partner", "unlink", [pid])
    event = EventHistory.objects.get()
    assert (event.event_code, event.data["name"]) == ("unlink", "Azure")
    assert not RecordSnapshot.objects.filter(hook=hook).exists()


def test_a_custom_event_code_is_accepted(client, token):
    call(
        client,
        "push",
        token,
        "sale.order",
        "sale.order.confirmed",
        [{"id": 3, "values": {"state": "sale"}}],
    )
    assert EventHistory.objects.get().event_code == "sale.order.confirmed"


@pytest.mark.parametrize("bad", ["wrong-token", "", 42])
def test_a_bad_token_is_fault_3(client, token, bad):
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(client, "push", bad, "res.partner", "write", [{"id": 1, "values": {}}])
    assert info.value.faultCode == 3
    assert EventHistory.objects.count() == 0


def test_an_inactive_connection_token_is_fault_3(client, odoo_conn, token):
    odoo_conn.active = False
    odoo_conn.save()
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(client, "push", token, "res.partner", "write", [{"id": 1, "values": {}}])
    assert info.value.faultCode == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (("res.partner", "write", []), "non-empty list"),
        (("res.partner", "write", [{"id": "x", "values": {}}]), "positive integer"),
        (("res.partner", "write", [{"id": 1, "values": [1]}]), "values must be a struct"),
        (("bad model!", "write", [{"id": 1, "values": {}}]), "model must be"),
        (("res.partner", "", [{"id": 1, "values": {}}]), "event must be"),
        (("res.partner",), "wrong arguments"),
    ],
)
def test_bad_input_is_fault_2(client, token, params, message):
    with pytest.raises(xmlrpc.client.Fault, match=message) as info:
        call(client, "push", token, *params)
    assert info.value.faultCode == 2


def test_an_unknown_method_is_fault_2(client):
    with pytest.raises(xmlrpc.client.Fault, match="unknown method") as info:
        call(client, "system.listMethods")
    assert info.value.faultCode == 2


def test_an_entity_bomb_is_fault_2(client):
    body = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<methodCall><methodName>version</methodName><params><param><value>&b;</value>"
        b"</param></params></methodCall>"
    )
    response = client.post("/odoo/xmlrpc", body, content_type="text/xml")
    with pytest.raises(xmlrpc.client.Fault, match="EntitiesForbidden") as info:
        xmlrpc.client.loads(response.content)
    assert info.value.faultCode == 2


def test_an_oversized_body_is_refused_with_413(client, token, settings):
    settings.HUB_INBOUND_MAX_BYTES = 2048
    records = [{"id": i, "values": {"name": "x" * 100}} for i in range(1, 40)]
    body = xmlrpc.client.dumps((token, "res.partner", "create", records), "push").encode()
    response = client.post("/odoo/xmlrpc/", body, content_type="text/xml")
    assert response.status_code == 413
    assert EventHistory.objects.count() == 0


def test_get_is_not_allowed(client):
    assert client.get("/odoo/xmlrpc").status_code == 405


def test_odoo_unreachable_during_push_ids_is_fault_1_without_traceback(client, fake_odoo, token):
    fake_odoo.set_down("500")
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(client, "push_ids", token, "res.partner", "write", [1])
    assert info.value.faultCode == 1
    assert "Odoo unavailable" in info.value.faultString
    assert "Traceback" not in info.value.faultString


@pytest.mark.django_db(transaction=True)
def test_a_plain_xmlrpc_client_can_push_over_http(live_server, odoo_conn, token):
    proxy = xmlrpc.client.ServerProxy(f"{live_server.url}/odoo/xmlrpc")
    ids = proxy.push(token, "res.partner", "create", [{"id": 5, "values": {"name": "Azure"}}])
    assert ids == [str(EventHistory.objects.get(record_id=5).event_id)]
    with pytest.raises(xmlrpc.client.Fault) as info:
        proxy.push("nope", "res.partner", "create", [{"id": 5, "values": {}}])
    assert info.value.faultCode == 3


def test_push_ids_of_a_write_reports_only_the_tracked_fields_that_changed(
    client, odoo_conn, fake_odoo, token
):
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    ModelHook.objects.create(connection=odoo_conn, model="res.partner", tracked_fields=["email"])
    services.poll_connection(connection_id=odoo_conn.pk)  # baseline: the snapshot
    fake_odoo.tick(2)
    fake_odoo.write("res.partner", pid, {"email": "b@example.com", "phone": "555"})
    call(client, "push_ids", token, "res.partner", "write", [pid])
    event = EventHistory.objects.get()
    assert event.changes == {"email": {"before": "a@example.com", "after": "b@example.com"}}
