"""Every admin changelist and add page renders for a superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

MODELS = sorted(
    (m._meta.app_label, m._meta.model_name)
    for m in admin.site._registry
    if m._meta.app_label in {"hub", "rules", "delivery", "inbound", "dashboard"}
)


def test_every_hub_entity_is_in_the_admin():
    registered = {name for _, name in MODELS}
    expected = {
        "webhookevent",
        "webhookrule",
        "modelhook",
        "webhooklog",
        "webhookretry",
        "incomingwebhook",
        "eventhistory",
        "odooconnection",
        "inboundsource",
    }
    assert expected <= registered


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_changelist_renders(admin_client, app, model):
    response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_add_page_renders_or_is_forbidden_for_audit_models(admin_client, app, model):
    model_admin = admin.site._registry[
        next(
            m
            for m in admin.site._registry
            if (m._meta.app_label, m._meta.model_name) == (app, model)
        )
    ]
    response = admin_client.get(reverse(f"admin:{app}_{model}_add"))
    if model_admin.has_add_permission(_request(admin_client)):
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def _request(client):
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="admin")
    return request
