"""A handler_config with a key the handler does not read is refused, naming the allowed keys."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

UPSERT = {
    "model": "res.partner",
    "match": {"field": "ref", "path": "id"},
    "mapping": {"name": "name"},
}


def test_a_misspelt_key_is_refused_by_the_api_with_the_allowed_keys(
    api: APIClient, odoo_conn
) -> None:
    config = {**UPSERT, "modle": "res.partner"}
    response = api.post(
        "/api/sources/",
        {"name": "Shop", "verification": "standard", "handler": "odoo_upsert",
         "handler_config": config, "connection": odoo_conn.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    (message,) = response.json()["handler_config"]
    assert message == (
        'Unknown key "modle" (did you mean "model"?). '
        "Allowed keys: model, match, mapping, create_if_missing."
    )


def test_a_misspelt_key_inside_a_mapping_names_where_it_is(api: APIClient, odoo_conn) -> None:
    config = {**UPSERT, "mapping": {"name": {"path": "name", "transfrom": "upper"}}}
    response = api.post(
        "/api/sources/",
        {"name": "Shop", "verification": "standard", "handler": "odoo_upsert",
         "handler_config": config, "connection": odoo_conn.pk},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert 'Unknown key "transfrom" in mapping.name (did you mean "transform"?)' in str(
        response.json()["handler_config"]
    )


@pytest.mark.parametrize(
    ("handler", "config", "allowed"),
    [
        ("store", {"model": "x"}, "Allowed keys: none."),
        ("emit_event", {"model": "m", "event": "e", "recordid_path": "id"}, "record_id_path"),
        ("odoo_native", {"action": {}}, "Allowed keys: event, actions, models."),
    ],
)
def test_the_admin_shows_the_message_at_the_handler_config_field(
    admin_client, handler, config, allowed
) -> None:
    response = admin_client.post(
        reverse("admin:inbound_inboundsource_add"),
        {"name": "Shop", "slug": "shop-source", "verification": "standard", "secret": "",
         "handler": handler, "handler_config": json.dumps(config), "active": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Unknown key" in errors["handler_config"][0]
    assert allowed in errors["handler_config"][0]


def test_the_admin_lists_each_handlers_keys_and_explains_bad_json(admin_client) -> None:
    page = admin_client.get(reverse("admin:inbound_inboundsource_add")).content.decode()
    assert "odoo_upsert: model, match, mapping, create_if_missing" in page
    response = admin_client.post(
        reverse("admin:inbound_inboundsource_add"),
        {"name": "Shop", "slug": "shop-source", "verification": "standard", "secret": "",
         "handler": "store", "handler_config": "{'model': 1}", "active": "on"},
    )  # fmt: skip
    errors = response.context["adminform"].form.errors
    assert errors["handler_config"][0].startswith("Enter a JSON object such as")
