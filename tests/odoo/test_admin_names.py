"""A hook's tracked fields take comma-separated names or a JSON list (as trigger fields do)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hub.models import ModelHook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["email, name", '["email", "name"]'])
def test_tracked_fields_take_comma_separated_names_or_a_json_list(admin_client, odoo_conn, typed):
    response = admin_client.post(
        reverse("admin:hub_modelhook_add"),
        {
            "connection": odoo_conn.pk,
            "model": "res.partner",
            "events": ["write"],
            "domain": "",
            "tracked_fields": typed,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content
    assert ModelHook.objects.get().tracked_fields == ["email", "name"]
