"""Malformed XML-RPC, both ways: posted to the push endpoint, and answered by Odoo to the client."""

from __future__ import annotations

import urllib.request
import xmlrpc.client

import pytest

from hub.odoo.client import OdooBadResponse, OdooClient, OdooError
from hub.odoo.state import describe_error, is_connection_error
from tests.fakes.odoo import DB, HUB_PASSWORD
from tests.odoo.test_client import BOMB

pytestmark = pytest.mark.django_db

NAMELESS_MEMBER = (
    b'<?xml version="1.0"?><methodCall><methodName>push</methodName><params><param><value>'
    b"<struct><member><value><int>1</int></value></member></struct>"
    b"</value></param></params></methodCall>"
)
BAD_REQUESTS = {
    "a struct member without a name": NAMELESS_MEMBER,
    "a member with a name but no value": (
        b"<methodCall><methodName>push</methodName><params><param><value><struct><member>"
        b"<name>a</name></member></struct></value></param></params></methodCall>"
    ),
    "a boolean that is not 0 or 1": (
        b"<methodCall><methodName>push</methodName><params><param><value><boolean>7</boolean>"
        b"</value></param></params></methodCall>"
    ),
    "a fault instead of a call": (
        b"<methodResponse><fault><value><int>1</int></value></fault></methodResponse>"
    ),
    "not xml": b"push me, please",
    "an empty body": b"",
    "truncated xml": b"<methodCall><methodName>push</methodName><params><param><value><int>1",
    "an entity expansion bomb": BOMB.replace(b"methodResponse", b"methodCall"),
    "an external entity": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<methodCall><methodName>push</methodName><params><param><value><string>&e;</string>"
        b"</value></param></params></methodCall>"
    ),
}
BAD_ANSWERS = {
    "a struct member without a name": NAMELESS_MEMBER.replace(b"methodCall", b"methodResponse"),
    "a fault without a struct": BAD_REQUESTS["a fault instead of a call"],
    "a fault struct without faultCode": (
        b"<methodResponse><fault><value><struct><member><name>faultString</name><value>"
        b"<string>x</string></value></member></struct></value></fault></methodResponse>"
    ),
    "not xml": b"<html><body>Bad gateway</body></html>",
    "an empty body": b"",
    "truncated xml": b"<methodResponse><params><param><value><int>1",
    "an entity expansion bomb": BOMB,
}


def post_raw(client, body: bytes):
    return client.post("/odoo/xmlrpc", body, content_type="text/xml")


def fault_of(response) -> xmlrpc.client.Fault:
    assert response.status_code == 200, response.content
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(response.content)
    return info.value


@pytest.mark.parametrize("body", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_malformed_push_request_is_fault_2_not_a_500(client, body):
    fault = fault_of(post_raw(client, body))
    assert fault.faultCode == 2
    assert fault.faultString.startswith("bad request: unsafe or malformed XML-RPC request")


def test_the_bomb_is_refused_by_defusedxml(client):
    assert (
        "EntitiesForbidden"
        in fault_of(post_raw(client, BAD_REQUESTS["an entity expansion bomb"])).faultString
    )


def test_a_wrong_method_name_is_fault_2(client):
    body = xmlrpc.client.dumps(("t", "res.partner"), "push_everything").encode()
    fault = fault_of(post_raw(client, body))
    assert fault.faultCode == 2
    assert "unknown method 'push_everything'" in fault.faultString


def test_a_nameless_member_over_real_http_is_fault_2(live_server):
    request = urllib.request.Request(
        f"{live_server.url}/odoo/xmlrpc",
        data=NAMELESS_MEMBER,
        headers={"Content-Type": "text/xml"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        assert response.status == 200
        body = response.read()
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(body)
    assert info.value.faultCode == 2


@pytest.mark.parametrize("body", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_a_malformed_odoo_answer_is_a_transient_connector_error(fake_odoo, body):
    fake_odoo.raw_response = body
    client = OdooClient(url=fake_odoo.url, database=DB, username="hub", secret=HUB_PASSWORD)
    with pytest.raises(OdooBadResponse) as info:
        client.version()
    assert isinstance(info.value, OdooError)
    assert info.value.transient is True
    assert is_connection_error(info.value)
    assert "\n" not in describe_error(info.value)


def test_the_client_works_again_once_odoo_answers_properly(fake_odoo):
    fake_odoo.raw_response = NAMELESS_MEMBER.replace(b"methodCall", b"methodResponse")
    client = OdooClient(url=fake_odoo.url, database=DB, username="hub", secret=HUB_PASSWORD)
    with pytest.raises(OdooBadResponse):
        client.version()
    fake_odoo.raw_response = None
    assert client.version()["server_version"] == "17.0"
