"""JSON-2 (Odoo 19+): transport choice, no XML-RPC at all, Odoo's statuses as typed errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.models import ModelHook, OdooConnection
from hub.odoo import services, state
from hub.odoo.client import (
    OdooAccessError,
    OdooAuthError,
    OdooBadResponse,
    OdooClient,
    OdooProtocolError,
    OdooUserError,
    OdooValidationError,
)
from tests.fakes.odoo import DB, HUB_API_KEY, HUB_PASSWORD, HUB_UID, FakeOdoo

pytestmark = pytest.mark.django_db


@pytest.fixture
def odoo19() -> Iterator[FakeOdoo]:
    """An Odoo 19 that still has XML-RPC: the hub must prefer JSON-2 all the same."""
    fake = FakeOdoo(version="19.0").start()
    yield fake
    fake.stop()


def connection(fake: FakeOdoo, **fields) -> OdooConnection:
    fields = {"password": HUB_PASSWORD, "api_key": HUB_API_KEY, **fields}
    return OdooConnection.objects.create(
        name="odoo", url=fake.url, database=DB, username="hub", timeout=5, **fields
    )


def key_client(fake: FakeOdoo, **options) -> OdooClient:
    options = {"database": DB, "secret": HUB_API_KEY, **options}
    return OdooClient(url=fake.url, username="hub", secret_is_api_key=True, **options)


def test_with_json2_in_use_the_hub_makes_no_xml_rpc_call_at_all(odoo19):
    conn = connection(odoo19)
    pid = odoo19.create("res.partner", {"name": "Azure"})
    ModelHook.objects.create(connection=conn, model="res.partner", tracked_fields=["name"])
    assert state.probe_connection(connection_id=conn.pk).transport == "json2"
    services.poll_connection(connection_id=conn.pk)
    odoo19.tick(2)
    odoo19.write("res.partner", pid, {"name": "Azure Interior"})
    services.poll_connection(connection_id=conn.pk)
    assert {c.service for c in odoo19.calls} == {"web", "json2"}
    assert odoo19.count("version") == 1, "the version is detected once, by Test connection"
    conn.refresh_from_db()
    assert (conn.version, conn.transport, conn.uid) == ("19.0", "json2", HUB_UID)


def test_odoo_19_with_only_a_password_is_spoken_to_over_xml_rpc(odoo19):
    conn = connection(odoo19, api_key="")
    probe = state.probe_connection(connection_id=conn.pk)
    assert (probe.ok, probe.version, probe.transport) == (True, "19.0", "xmlrpc")
    assert "json2" not in {c.service for c in odoo19.calls}


def test_an_older_odoo_with_an_api_key_is_spoken_to_over_xml_rpc(fake_odoo):
    conn = connection(fake_odoo)
    probe = state.probe_connection(connection_id=conn.pk)
    assert (probe.version, probe.transport) == ("17.0", "xmlrpc")
    assert fake_odoo.count("execute_kw") == 0 and fake_odoo.count("authenticate") == 1


def test_the_protocol_can_be_forced_per_connection(odoo19):
    conn = connection(odoo19, protocol="xmlrpc")
    assert state.probe_connection(connection_id=conn.pk).transport == "xmlrpc"
    OdooConnection.objects.filter(pk=conn.pk).update(protocol="json2", api_key="")
    probe = state.probe_connection(connection_id=conn.pk)
    assert probe.ok is False and "JSON-2 needs an API key" in probe.error


def test_forcing_xml_rpc_on_an_odoo_without_it_says_not_an_odoo_endpoint(fake_odoo):
    json2_only = FakeOdoo(version="19.0", xmlrpc=False).start()
    try:
        conn = connection(json2_only, protocol="xmlrpc")
        probe = state.probe_connection(connection_id=conn.pk)
        assert probe.ok is False and "HTTP 404" in probe.error
    finally:
        json2_only.stop()


def test_a_revoked_api_key_is_a_login_error(odoo19):
    with pytest.raises(OdooAuthError, match=r"refused the API key \(Invalid apikey\)"):
        key_client(odoo19, secret="revoked").authenticate()


def test_the_database_travels_in_the_x_odoo_database_header(odoo19):
    with pytest.raises(OdooUserError, match="database 'other' not found"):
        key_client(odoo19, database="other").search("res.partner", [])
    assert key_client(odoo19, database="").search("res.partner", []) == []


@pytest.mark.parametrize(
    ("call", "error", "status"),
    [
        (lambda c: c.search("x.nothing", []), OdooUserError, 404),
        (lambda c: c.execute_kw("res.partner", "no_such_method"), OdooUserError, 404),
        (lambda c: c.create("res.partner", {"email": "a@b.c"}), OdooValidationError, 422),
        (lambda c: c.search("sale.order", []), OdooAccessError, 403),
    ],
    ids=["unknown model", "unknown method", "validation", "access"],
)
def test_odoo_statuses_become_the_same_typed_errors_as_xml_rpc(odoo19, call, error, status):
    odoo19.deny("sale.order")
    with pytest.raises(error) as info:
        call(key_client(odoo19))
    assert type(info.value) is error, f"HTTP {status}"


def test_a_created_record_comes_back_as_its_id(odoo19):
    client = key_client(odoo19)
    pid = client.create("res.partner", {"name": "Azure", "email": None})
    assert client.read("res.partner", [pid], ["name", "email"]) == [
        {"id": pid, "name": "Azure", "email": False}
    ]


@pytest.mark.parametrize("body", [b'{"jsonrpc": "2.0", "res', b"<html>proxy</html>", b""])
def test_an_answer_that_is_not_json_is_a_transient_error(odoo19, body):
    client = key_client(odoo19)
    assert client.transport_name == "json2"
    odoo19.raw_response = body
    with pytest.raises(OdooBadResponse) as info:
        client.search("res.partner", [])
    assert info.value.transient is True
    assert isinstance(info.value, OdooProtocolError)
