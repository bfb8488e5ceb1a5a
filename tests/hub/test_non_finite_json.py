"""NaN and Infinity are bad input wherever the hub stores JSON: push, emit and inbound bodies."""

from __future__ import annotations

import math
import xmlrpc.client
from typing import Any

import pytest
from django.test import Client

from hub.lib.json import non_finite_message, non_finite_path
from hub.models import EventHistory
from hub.odoo import state
from inbound.models import InboundSource, IncomingWebhook
from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: F401  (fixtures)

NAN, INF = math.nan, math.inf


# --- the shared check ---------------------------------------------------------------------------
def test_the_path_of_the_first_nan_or_infinity_is_named() -> None:
    assert non_finite_path({"a": [1, {"b": NAN}], "c": INF}) == "a[1].b"
    assert non_finite_path([0.5, -INF]) == "[1]"
    assert non_finite_path(NAN) == ""
    assert non_finite_path({"a": [1.5, "NaN", None, True, 10**30]}) is None


def test_the_message_says_where_the_number_is() -> None:
    assert non_finite_message({"x": NAN}, where="values") == (
        "values.x: NaN and Infinity are not valid JSON numbers"
    )
    assert non_finite_message({"x": 1.0}) is None


def test_a_deeply_nested_value_is_checked_without_recursion() -> None:
    deep: list = [INF]
    for _ in range(10_000):  # deeper than Python's recursion limit
        deep = [deep]
    assert non_finite_path(deep) == "[0]" * 10_001


# --- XML-RPC push --------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"id": 7, "values": {"x": NAN}}, "values.x"),
        ({"id": 7, "values": {"tags": [1.0, INF]}}, "values.tags[1]"),
        ({"id": 7, "values": {}, "old_values": {"x": -INF}}, "old_values.x"),
    ],
)
def test_a_pushed_nan_or_infinity_is_fault_2_naming_the_field(
    live_server,
    odoo_conn: Any,  # noqa: F811  (the fixture imported above)
    record: dict,
    field: str,
) -> None:
    token = state.issue_push_token(connection_id=odoo_conn.pk)
    proxy = xmlrpc.client.ServerProxy(f"{live_server.url}/odoo/xmlrpc")
    with pytest.raises(xmlrpc.client.Fault) as info:
        proxy.push(token, "res.partner", "create", [{"id": 6, "values": {"x": 1.5}}, record])
    assert info.value.faultCode == 2
    assert info.value.faultString.startswith(f"record 2: {field}: NaN and Infinity")
    assert EventHistory.objects.count() == 0


# --- API emit ------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"x": 1e999}', "data"),  # Python reads an out-of-range number as infinity
        ('{"x": [-1e999]}', "data"),
    ],
)
def test_emit_refuses_infinity_with_the_field_named(api, body: str, field: str) -> None:
    raw = f'{{"model": "sale.order", "event": "write", "record_id": 7, "data": {body}}}'
    response = api.post("/api/emit/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "NaN and Infinity are not valid JSON numbers" in response.json()[field][0]
    assert EventHistory.objects.count() == 0


@pytest.mark.django_db
def test_emit_refuses_a_nan_literal(api) -> None:
    raw = '{"model": "sale.order", "event": "write", "data": {"x": NaN}}'
    response = api.post("/api/emit/", raw, content_type="application/json")
    assert response.status_code == 400
    assert EventHistory.objects.count() == 0


# --- inbound bodies ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [b'{"amount": NaN}', b'{"amount": -Infinity}', b'{"a": [Infinity]}', b'{"a": 1e999}']
)
def test_an_inbound_body_with_nan_or_infinity_is_malformed_json(
    client: Client, body: bytes
) -> None:
    source = InboundSource.objects.create(name="shop", verification="none")
    response = client.post(source.path, data=body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"error": "malformed JSON"})
    row = IncomingWebhook.objects.get(source=source)
    assert row.state == "rejected"
    assert "NaN and Infinity are not valid JSON numbers" in row.error


@pytest.mark.django_db
def test_an_inbound_body_with_large_but_finite_numbers_is_accepted(client: Client) -> None:
    source = InboundSource.objects.create(name="shop", verification="none")
    body = b'{"amount": 1e308, "big": 123456789012345678901234567890}'
    response = client.post(source.path, data=body, content_type="application/json")
    assert response.status_code == 202
