"""A hook's tracked fields take comma-separated names or a JSON list (as trigger fields do)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from hub.models import ModelHook
from hub.odoo.forms import ModelHookForm

pytestmark = pytest.mark.django_db


def add_form_data(**values: Any) -> dict[str, Any]:
    """The add form as a browser posts it untouched (its initial values), then `values`."""
    form = ModelHookForm()
    data: dict[str, Any] = {}
    for name in form.fields:
        initial = form[name].value()
        if initial is True:
            data[name] = "on"
        elif initial not in (None, False):
            data[name] = initial
    return {**data, **values}


@pytest.mark.parametrize("typed", ["email, name", '["email", "name"]'])
def test_tracked_fields_take_comma_separated_names_or_a_json_list(admin_client, odoo_conn, typed):
    response = admin_client.post(
        reverse("admin:hub_modelhook_add"),
        add_form_data(
            connection=odoo_conn.pk, model="res.partner", events=["write"], tracked_fields=typed
        ),
    )
    assert response.status_code == 302, response.content
    assert ModelHook.objects.get().tracked_fields == ["email", "name"]
