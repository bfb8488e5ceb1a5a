"""Payload building: data from payload fields and the exact documented envelope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from hub.models import EventHistory
from rules.models import PayloadField, WebhookEvent, WebhookRule
from rules.payload import PayloadError, build_data, build_envelope, coerce
from rules.transforms import TransformError

RECORD = {
    "id": 42,
    "name": "SO042",
    "state": "sale",
    "email": False,
    "amount_total": 1234.567,
    "partner_id": [7, "Azure Interior"],
    "partner": {"id": 7, "name": "Azure Interior", "country_id": {"id": 21, "code": "BE"}},
    "order_line": [{"product_id": [3, "Desk"]}, {"product_id": [4, "Chair"]}],
    "tag_ids": [1, 2],
    "date_order": "2024-05-01 10:30:00",
}


def field(**kwargs) -> PayloadField:
    return PayloadField(**{"sequence": 10, **kwargs})


def data(*fields: PayloadField) -> dict:
    return build_data(fields=list(fields), record=RECORD, context={})


def event(**kwargs) -> EventHistory:
    values = {
        "event_id": uuid.UUID("6f1c2a39-0f4d-4a8e-9a55-3f0b9c1d2e4f"),
        "occurred_at": datetime(2024, 5, 1, 10, 30, 0, 123456, tzinfo=UTC),
        "source": "odoo-prod",
        "model": "sale.order",
        "record_id": 42,
        "event_code": "write",
        "user": {"id": 2, "name": "Mitchell Admin"},
        "data": RECORD,
        "changes": {"state": {"before": "draft", "after": "sale"}},
    }
    return EventHistory(**{**values, **kwargs})


def test_with_no_payload_fields_data_is_the_whole_record():
    assert data() == RECORD
    assert data() is not RECORD


def test_fields_are_selected_renamed_and_ordered_by_sequence():
    result = data(
        field(source_path="state", sequence=20),
        field(source_path="name", payload_key="reference", sequence=10),
        field(source_path="amount_total", include=False),
    )
    assert list(result) == ["reference", "state"]
    assert result == {"reference": "SO042", "state": "sale"}


def test_dotted_paths_reach_relations_and_lists():
    result = data(
        field(source_path="partner.country_id.code"),
        field(source_path="partner_id.name", payload_key="customer"),
        field(source_path="order_line.product_id.name", payload_key="products"),
    )
    assert result == {
        "partner.country_id.code": "BE",
        "customer": "Azure Interior",
        "products": ["Desk", "Chair"],
    }


def test_a_transform_applies_before_the_default_and_the_type():
    result = data(
        field(source_path="name", transform="lower"),
        field(source_path="amount_total", transform="round", transform_arg="2"),
        field(source_path="email", default_value="unknown@example.com"),
        field(source_path="missing", payload_key="qty", default_value="3", field_type="integer"),
        field(source_path="email", payload_key="email_raw"),
    )
    assert result == {
        "name": "so042",
        "amount_total": 1234.57,
        "email": "unknown@example.com",
        "qty": 3,
        "email_raw": False,
    }


def test_a_computed_field_renders_its_template_against_the_record():
    result = data(
        field(
            payload_key="title",
            field_type="computed",
            transform="template",
            transform_arg="{name} for {partner_id} ({amount_total:.2f})",
        )
    )
    assert result == {"title": "SO042 for Azure Interior (1234.57)"}


@pytest.mark.parametrize(
    ("field_type", "value", "expected"),
    [
        ("auto", False, False),
        ("char", 42, "42"),
        ("char", [7, "Azure"], "Azure"),
        ("char", False, None),
        ("integer", "12", 12),
        ("integer", [7, "Azure"], 7),
        ("integer", None, None),
        ("float", "1.5", 1.5),
        ("boolean", False, False),
        ("boolean", "false", False),
        ("boolean", 1, True),
        ("date", "2024-05-01 23:30:00", "2024-05-01"),
        ("datetime", "2024-05-01 23:30:00", "2024-05-01T23:30:00Z"),
        ("many2one", [7, "Azure"], 7),
        ("many2one", False, None),
        ("x2many", [1, 2], [1, 2]),
        ("x2many", [[1, "a"], {"id": 2}], [1, 2]),
        ("x2many", False, []),
        ("computed", "as is", "as is"),
    ],
)
def test_the_field_type_coerces_the_value(field_type, value, expected):
    assert coerce(field_type, value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1e999"])
def test_a_float_field_refuses_values_json_cannot_carry(value):
    with pytest.raises(TransformError, match="cannot convert"):
        coerce("float", value)


def test_a_field_that_cannot_be_built_names_the_field():
    with pytest.raises(PayloadError, match="payload field 'name': .*cannot convert 'SO042'"):
        data(field(source_path="name", field_type="integer"))


def test_the_envelope_has_exactly_the_design_keys():
    rule = WebhookRule(name="r", model="sale.order", url="https://x.test", include_changes=True)
    body = build_envelope(rule=rule, event=event())
    assert body == {
        "id": "6f1c2a39-0f4d-4a8e-9a55-3f0b9c1d2e4f",
        "type": "sale.order.write",
        "timestamp": "2024-05-01T10:30:00.123Z",
        "event": "write",
        "model": "sale.order",
        "record_id": 42,
        "source": "odoo-prod",
        "user": {"id": 2, "name": "Mitchell Admin"},
        "data": RECORD,
        "changes": {"state": {"before": "draft", "after": "sale"}},
    }


def test_changes_are_left_out_unless_the_rule_includes_them():
    rule = WebhookRule(name="r", model="sale.order", url="https://x.test", include_changes=False)
    assert "changes" not in build_envelope(rule=rule, event=event())


@pytest.mark.parametrize("code", ["create", "unlink", "sale.order.confirmed"])
def test_changes_are_only_sent_for_write_events(code):
    rule = WebhookRule(name="r", model="sale.order", url="https://x.test", include_changes=True)
    assert "changes" not in build_envelope(rule=rule, event=event(event_code=code))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("write", "sale.order.write"),
        ("confirmed", "sale.order.confirmed"),
        ("sale.order.confirmed", "sale.order.confirmed"),
        ("sale.order_line.done", "sale.order.sale.order_line.done"),
    ],
)
def test_the_type_is_model_dot_event_without_repeating_a_model_the_code_names(code, expected):
    rule = WebhookRule(name="r", model="sale.order", url="https://x.test")
    assert build_envelope(rule=rule, event=event(event_code=code))["type"] == expected


def test_a_write_without_recorded_changes_has_no_changes_key_and_a_null_user():
    rule = WebhookRule(name="r", model="sale.order", url="https://x.test", include_changes=True)
    body = build_envelope(rule=rule, event=event(changes=None, user=None))
    assert "changes" not in body
    assert body["user"] is None


def test_the_timestamp_is_converted_to_utc():
    from zoneinfo import ZoneInfo

    moment = datetime(2024, 5, 1, 12, 30, tzinfo=ZoneInfo("Europe/Brussels"))
    rule = WebhookRule(name="r", model="sale.order", url="https://x.test")
    assert build_envelope(rule=rule, event=event(occurred_at=moment))["timestamp"] == (
        "2024-05-01T10:30:00.000Z"
    )


@pytest.mark.django_db
def test_a_saved_rule_builds_data_from_its_payload_fields():
    rule = WebhookRule.objects.create(name="r", model="sale.order", url="https://x.test")
    rule.events.add(WebhookEvent.objects.get(code="write"))
    PayloadField.objects.create(rule=rule, source_path="partner_id", field_type="many2one")
    PayloadField.objects.create(rule=rule, source_path="name", payload_key="ref", sequence=1)
    body = build_envelope(rule=rule, event=event())
    assert body["data"] == {"ref": "SO042", "partner_id": 7}


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"transform": "round", "transform_arg": "2"},
        {"transform": "int", "field_type": "integer"},
        {"transform": "date_format", "transform_arg": "%d/%m/%Y", "field_type": "char"},
        {"transform": "iso_datetime", "field_type": "datetime"},
        {"transform": "m2o_name"},
        {"transform": "join", "transform_arg": " / "},
        {"transform": "value_map", "transform_arg": '{"draft": "Draft"}'},
        {"field_type": "date"},
        {"field_type": "many2one"},
        {"field_type": "boolean"},
        {"transform": "upper", "field_type": "char"},
    ],
)
def test_a_sample_value_builds_for_every_transform_and_type(kwargs):
    from rules.samples import sample_value

    payload_field = field(source_path="x", **kwargs)
    built = build_data(
        fields=[payload_field], record={"x": sample_value(payload_field)}, context={}
    )
    assert built["x"] not in (None, "")
