"""The Odoo client against the fake Odoo on 127.0.0.1, over XML-RPC (16-18) and JSON-2 (19).

Every test runs on each flavour of the fake (tests/odoo/conftest.py) unless marked
``xmlrpc_only`` (XML-RPC's own behaviour: faults, defusedxml, logins) or parametrised itself.
"""

from __future__ import annotations

import xmlrpc.client

import pytest

from hub.odoo.client import (
    OdooAccessDenied,
    OdooAccessError,
    OdooAuthError,
    OdooClient,
    OdooMissingError,
    OdooProtocolError,
    OdooServerError,
    OdooUnavailable,
    OdooUserError,
)
from tests.fakes.odoo import DB, HUB_API_KEY, HUB_PASSWORD, HUB_UID

BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><methodResponse><params><param><value><string>&lol9;</string></value></param>"
    b"</params></methodResponse>"
)


def client_for(
    fake, *, secret: str | None = None, timeout: float = 5.0, uid=None, **options
) -> OdooClient:
    """A client as the hub makes one: a password for XML-RPC, the API key for JSON-2."""
    json2 = not fake.xmlrpc
    return OdooClient(
        url=fake.url,
        database=DB,
        username="hub",
        secret=secret or (HUB_API_KEY if json2 else HUB_PASSWORD),
        secret_is_api_key=json2,
        timeout=timeout,
        uid=uid,
        **options,
    )


def test_it_reads_the_server_version(fake_odoo):
    info = client_for(fake_odoo).version()
    assert info["server_version"] == fake_odoo.store.version
    assert info["server_version_info"][0] == fake_odoo.store.major


def test_the_transport_follows_the_server_version(fake_odoo):
    client = client_for(fake_odoo)
    assert client.transport_name == ("xmlrpc" if fake_odoo.xmlrpc else "json2")


@pytest.mark.xmlrpc_only
@pytest.mark.parametrize("secret", [HUB_PASSWORD, HUB_API_KEY])
def test_it_logs_in_with_a_password_or_an_api_key(fake_odoo, secret):
    assert client_for(fake_odoo, secret=secret).authenticate() == HUB_UID


def test_a_refused_login_is_an_auth_error_not_a_fault(fake_odoo):
    with pytest.raises(OdooAuthError, match="Odoo refused the"):
        client_for(fake_odoo, secret="wrong").authenticate()


@pytest.mark.xmlrpc_only
def test_it_logs_in_lazily_before_the_first_call(fake_odoo):
    client = client_for(fake_odoo)
    assert client.search("res.users", []) == [1, 2, 6]
    assert [c.method for c in fake_odoo.calls] == ["authenticate", "execute_kw"]


@pytest.mark.xmlrpc_only
def test_a_stale_cached_uid_is_refreshed_once(fake_odoo):
    client = client_for(fake_odoo, uid=2)  # someone else's uid: Odoo answers Access Denied
    assert client.search_count("res.users", []) == 3
    assert client.uid == HUB_UID


def test_a_wrong_password_with_a_cached_uid_raises_access_denied(fake_odoo):
    with pytest.raises(OdooAccessDenied):
        client_for(fake_odoo, secret="wrong", uid=HUB_UID).search("res.users", [])


def test_an_exception_in_odoo_is_a_server_error_without_the_traceback(fake_odoo):
    with pytest.raises(OdooServerError) as info:
        client_for(fake_odoo).execute_kw("res.partner", "fail")
    assert info.value.code == 1
    assert str(info.value) == "ZeroDivisionError: division by zero"
    assert "Traceback" in info.value.detail


@pytest.mark.xmlrpc_only
def test_fault_1_becomes_a_server_error_with_the_last_traceback_line(fake_odoo):
    with pytest.raises(OdooServerError) as info:
        client_for(fake_odoo).execute_kw("res.partner", "no_such_method")
    assert info.value.code == 1
    assert str(info.value) == (
        "AttributeError: The method 'no_such_method' does not exist on the model 'res.partner'"
    )
    assert info.value.detail.startswith("Traceback")


@pytest.mark.xmlrpc_only
def test_a_none_in_the_result_is_a_server_error(fake_odoo):
    with pytest.raises(OdooServerError, match="cannot marshal None"):
        client_for(fake_odoo).execute_kw("res.partner", "return_none")


def test_an_unknown_model_is_a_user_error(fake_odoo):
    with pytest.raises(OdooUserError, match="x.nothing") as info:
        client_for(fake_odoo).search("x.nothing", [])
    assert info.value.code == 2


def test_writing_a_deleted_record_is_a_missing_error(fake_odoo):
    with pytest.raises(OdooMissingError, match="Record does not exist or has been deleted"):
        client_for(fake_odoo).write("res.partner", [999], {"name": "x"})


def test_a_missing_required_field_is_a_user_error(fake_odoo):
    with pytest.raises(OdooUserError, match="mandatory field"):
        client_for(fake_odoo).create("res.partner", {"email": "a@example.com"})


def test_a_forbidden_model_is_an_access_error(fake_odoo):
    fake_odoo.deny("sale.order")
    with pytest.raises(OdooAccessError, match="not allowed to access") as info:
        client_for(fake_odoo).search("sale.order", [])
    assert info.value.code == 4


def test_a_hanging_server_times_out_as_unavailable(fake_odoo):
    fake_odoo.set_down("hang")
    with pytest.raises(OdooUnavailable, match="did not answer within 0.3 s") as info:
        client_for(fake_odoo, timeout=0.3).version()
    assert info.value.transient is True
    fake_odoo.set_up()


@pytest.mark.parametrize(
    ("mode", "message"),
    [("500", "HTTP 500"), ("refuse", "Connection refused"), ("reset", "RemoteDisconnected")],
)
def test_a_down_server_is_unavailable(fake_odoo, mode, message):
    fake_odoo.set_down(mode)
    with pytest.raises(OdooUnavailable, match=message):
        client_for(fake_odoo).version()
    fake_odoo.set_up()
    assert client_for(fake_odoo).version()["server_version"] == fake_odoo.store.version


def test_a_page_that_is_not_xml_rpc_is_a_transient_protocol_error(fake_odoo):
    fake_odoo.raw_response = b"<html><body>Bad gateway</body></html>"
    with pytest.raises(OdooProtocolError) as info:
        client_for(fake_odoo).version()
    assert info.value.transient is True


@pytest.mark.xmlrpc_only
def test_an_entity_expansion_bomb_is_refused(fake_odoo):
    fake_odoo.raw_response = BOMB
    with pytest.raises(OdooProtocolError, match="EntitiesForbidden"):
        client_for(fake_odoo).version()


@pytest.mark.xmlrpc_only
def test_defused_parsing_does_not_patch_the_stdlib_for_other_code(fake_odoo):
    fake_odoo.raw_response = BOMB
    with pytest.raises(OdooProtocolError):
        client_for(fake_odoo).version()
    assert xmlrpc.client.FastParser is None
    assert xmlrpc.client.gzip_decode.__module__ == "xmlrpc.client"


def test_an_oversized_response_is_refused(fake_odoo):
    for i in range(50):
        fake_odoo.create("res.partner", {"name": f"Partner {i}" * 20})
    client = client_for(fake_odoo, max_bytes=2000)
    with pytest.raises(OdooProtocolError, match="larger than 2000 bytes|payload length"):
        client.search_read("res.partner", [], ["name"])


def test_calls_reuse_one_http_connection(fake_odoo):
    client = client_for(fake_odoo)
    client.version()
    for _ in range(5):
        client.search("res.users", [])
    assert fake_odoo.connections_opened == 1


def test_search_read_pages_are_keyed_on_id_and_see_every_record(fake_odoo):
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(23)]
    client = client_for(fake_odoo)
    client.authenticate()
    fake_odoo.reset_calls()
    pages = list(client.search_read_pages("res.partner", [], ["name"], batch_size=10))
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [r["id"] for p in pages for r in p] == ids
    assert fake_odoo.count("search_read") == 3


def test_read_drops_deleted_ids_and_reads_related_in_one_call(fake_odoo):
    a = fake_odoo.create("res.country", {"name": "Belgium", "code": "BE"})
    b = fake_odoo.create("res.country", {"name": "France", "code": "FR"})
    fake_odoo.unlink("res.country", b)
    client = client_for(fake_odoo)
    client.authenticate()
    fake_odoo.reset_calls()
    related = client.read_related("res.country", [a, b, a], ["code"])
    assert related == {a: {"id": a, "code": "BE"}}
    assert fake_odoo.count("read") == 1


def test_create_write_and_unlink_round_trip_with_odoo_value_shapes(fake_odoo):
    client = client_for(fake_odoo)
    country = client.create("res.country", {"name": "Belgium", "code": "BE"})
    pid = client.create("res.partner", {"name": "Azure", "email": None, "country_id": country})
    row = client.read("res.partner", [pid], ["email", "country_id", "category_ids", "write_uid"])[0]
    assert row == {
        "id": pid,
        "email": False,
        "country_id": [country, "Belgium"],
        "category_ids": [],
        "write_uid": [HUB_UID, "Webhook Hub"],
    }
    assert client.write("res.partner", [pid], {"email": "a@example.com"}) is True
    assert client.unlink("res.partner", [pid]) is True
    assert client.read("res.partner", [pid], ["name"]) == []


def test_fields_get_describes_fields_and_relations(fake_odoo):
    fields = client_for(fake_odoo).fields_get("sale.order")
    assert fields["partner_id"]["type"] == "many2one"
    assert fields["partner_id"]["relation"] == "res.partner"
    assert fields["order_line"]["relation"] == "sale.order.line"


def test_a_client_for_a_connection_prefers_the_api_key(odoo_conn, fake_odoo):
    odoo_conn.password = "wrong"
    odoo_conn.api_key = HUB_API_KEY
    assert OdooClient.for_connection(odoo_conn).authenticate() == HUB_UID


def test_a_non_http_url_is_refused():
    with pytest.raises(OdooProtocolError, match="must be http"):
        OdooClient(url="ftp://odoo", database=DB, username="u", secret="s")


def test_archived_records_are_hidden_unless_asked_for(fake_odoo):
    live = fake_odoo.create("res.partner", {"name": "Live"})
    gone = fake_odoo.create("res.partner", {"name": "Archived"})
    fake_odoo.write("res.partner", gone, {"active": False})
    client = client_for(fake_odoo)
    assert client.search("res.partner", []) == [live]
    assert client.search("res.partner", [], context={"active_test": False}) == [live, gone]
    assert client.search("res.partner", [("active", "=", False)]) == [gone]
    assert [r["id"] for r in client.read("res.partner", [live, gone], ["name"])] == [live, gone]
