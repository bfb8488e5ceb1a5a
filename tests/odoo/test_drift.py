"""Schema drift: a field removed in Odoo is reported on hooks and rules, and polling goes on."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from hub.models import EventHistory, ModelHook
from hub.odoo import services
from hub.odoo.drift import missing_in_path
from rules.models import PayloadField
from tests.factories import make_rule

pytestmark = pytest.mark.django_db
GONE = "res.partner has no field 'phone'"


def poll(conn) -> list:
    before = EventHistory.objects.count()
    services.poll_connection(connection_id=conn.pk)
    new = EventHistory.objects.order_by("id")[before:]
    return [(e.event_code, e.record_id, sorted(e.changes or {})) for e in new]


@pytest.fixture
def drifted(odoo_conn, fake_odoo):
    """A hook and a rule that use `phone`, then `phone` removed from res.partner in Odoo."""
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "A", "email": "a@example.com", "phone": "1"})
    hook = ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", tracked_fields=["name", "phone"]
    )
    rule = make_rule(url="https://example.com/in", trigger_fields=["name", "phone"])
    PayloadField.objects.create(rule=rule, source_path="name")
    PayloadField.objects.create(rule=rule, source_path="phone", payload_key="tel")
    assert poll(odoo_conn) == [], "baseline"
    del fake_odoo.store.schema["res.partner"]["phone"]
    return hook, rule, rid


@pytest.fixture
def expired(drifted):
    """The same, once the cached fields_get has expired (FIELDS_CACHE_SECONDS)."""
    cache.clear()
    return drifted


def test_a_path_through_a_relation_names_the_missing_field_of_the_related_model():
    fields = {
        "sale.order": {"partner_id": {"type": "many2one", "relation": "res.partner"}},
        "res.partner": {"name": {"type": "char"}},
    }
    describe = fields.__getitem__
    assert missing_in_path("partner_id.name", model="sale.order", describe=describe) is None
    assert missing_in_path("partner_id.vat", model="sale.order", describe=describe) == (
        "res.partner has no field 'vat'"
    )


def test_a_removed_tracked_field_is_reported_and_polling_goes_on(drifted, odoo_conn, fake_odoo):
    hook, _rule, rid = drifted
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", rid, {"name": "A renamed"})
    # The fields cached before the removal still name `phone`: Odoo refuses that read once,
    # the hub forgets the cached fields, and the next poll reads without the field.
    first = poll(odoo_conn)
    if not first:
        hook.refresh_from_db()
        assert "phone" in hook.last_error
        first = poll(odoo_conn)
    assert first == [("write", rid, ["name"])]
    hook.refresh_from_db()
    assert hook.last_error == ""
    assert f"schema drift: tracked field: {GONE}" in hook.last_result


def test_the_api_lists_the_problems_of_hooks_and_rules(expired, api):
    hook, rule, _ = expired
    assert api.get(f"/api/hooks/{hook.pk}/").json()["problems"] == [f"tracked field: {GONE}"]
    problems = api.get(f"/api/rules/{rule.pk}/").json()["problems"]
    assert problems == [f"payload field 'tel': {GONE}", f"trigger field: {GONE}"]


def test_the_admin_warns_on_the_hook_and_the_rule(expired, admin_client):
    hook, rule, _ = expired
    page = admin_client.get(reverse("admin:hub_modelhook_change", args=[hook.pk]))
    assert f"Schema drift: tracked field: {GONE}" in page.content.decode().replace("&#x27;", "'")
    page = admin_client.get(reverse("admin:rules_webhookrule_change", args=[rule.pk]))
    assert f"Schema drift: trigger field: {GONE}" in page.content.decode().replace("&#x27;", "'")


def test_check_odoo_fields_lists_every_problem(expired, capsys):
    hook, rule, _ = expired
    with pytest.raises(CommandError, match="3 schema problem"):
        call_command("check_odoo_fields")
    out = capsys.readouterr().out
    assert f"hook {hook.pk} fake / res.partner: tracked field: {GONE}" in out
    assert f"rule {rule.pk} '{rule.name}' (res.partner): payload field 'tel': {GONE}" in out


def test_check_odoo_fields_passes_when_every_field_exists(odoo_conn, fake_odoo, capsys):
    ModelHook.objects.create(connection=odoo_conn, model="res.partner", tracked_fields=["name"])
    call_command("check_odoo_fields")
    assert "every field named" in capsys.readouterr().out
