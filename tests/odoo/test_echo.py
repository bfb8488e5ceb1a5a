"""Exact echo suppression: the hub drops its own writes, not its Odoo user's other changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hub.models import EventHistory, ModelHook, OdooConnection, OdooEcho
from hub.odoo import services
from hub.odoo.client import OdooClient
from inbound.handlers import odoo_upsert
from inbound.handlers.base import Context
from tests.fakes import odoo as fake_module
from tests.fakes.odoo import ADMIN_UID

pytestmark = pytest.mark.django_db
ADMIN_KEY = "admin-api-key-0123456789"


@pytest.fixture
def admin_conn(odoo_conn: OdooConnection, monkeypatch: pytest.MonkeyPatch) -> OdooConnection:
    """The most common first set-up: the hub connected as Odoo's admin (uid 2)."""
    monkeypatch.setitem(fake_module.USERS[ADMIN_UID], "api_keys", [ADMIN_KEY])
    odoo_conn.username, odoo_conn.password = "admin", "admin"
    odoo_conn.api_key = "" if not odoo_conn.api_key else ADMIN_KEY
    odoo_conn.save()
    return odoo_conn


def poll(conn: OdooConnection) -> list:
    before = EventHistory.objects.count()
    services.poll_connection(connection_id=conn.pk)
    new = EventHistory.objects.order_by("id")[before:]
    return [(e.event_code, e.record_id, sorted(e.changes or {})) for e in new]


def hook(conn: OdooConnection, **kwargs: object) -> ModelHook:
    return ModelHook.objects.create(
        connection=conn, model="res.partner", tracked_fields=["name", "email"], **kwargs
    )


def upsert(conn: OdooConnection, email: str, name: str) -> dict:
    config = {
        "model": "res.partner",
        "match": {"field": "email", "path": "email"},
        "mapping": {"name": "name"},
    }
    source = type("Source", (), {"connection": conn})()
    ctx = Context(
        incoming=None, source=source, payload={"email": email, "name": name}, config=config
    )
    return odoo_upsert.handle(ctx)


def test_new_hooks_suppress_exactly_the_hubs_own_writes(odoo_conn):
    assert hook(odoo_conn).echo_suppression == "exact"


def test_admin_sees_its_own_ui_changes_while_the_hubs_upserts_do_not_echo(admin_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    known = fake_odoo.create("res.partner", {"name": "Known", "email": "known@example.com"})
    hook(admin_conn)
    assert poll(admin_conn) == [], "baseline"

    fake_odoo.tick(1)
    created = upsert(admin_conn, "new@example.com", "New")
    updated = upsert(admin_conn, "known@example.com", "Known, renamed by the hub")
    assert (created["action"], updated["action"]) == ("created", "updated")
    assert fake_odoo.record("res.partner", known)["write_uid"][0] == ADMIN_UID
    assert poll(admin_conn) == [], "the hub's own create and write do not echo"

    fake_odoo.tick(1)
    fake_odoo.write("res.partner", known, {"email": "admin@example.com"}, uid=ADMIN_UID)
    ui_created = fake_odoo.create("res.partner", {"name": "Typed in the UI"}, uid=ADMIN_UID)
    assert poll(admin_conn) == [("write", known, ["email"]), ("create", ui_created, [])]
    assert OdooEcho.objects.filter(suppressed_at__isnull=False).count() == 2


def test_a_later_change_of_a_record_the_hub_wrote_is_emitted(admin_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "A", "email": "a@example.com"})
    hook(admin_conn)
    poll(admin_conn)
    fake_odoo.tick(1)
    with OdooClient.for_connection(admin_conn) as client:
        client.write("res.partner", [rid], {"name": "A by the hub"})
    # The same second, the same user, another field: not what the hub wrote.
    fake_odoo.write("res.partner", rid, {"email": "a2@example.com"}, uid=ADMIN_UID)
    assert poll(admin_conn) == [("write", rid, ["email", "name"])]


def test_the_same_values_written_again_later_by_a_person_are_emitted(admin_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "B", "email": "b@example.com"})
    hook(admin_conn)
    poll(admin_conn)
    fake_odoo.tick(1)
    with OdooClient.for_connection(admin_conn) as client:
        client.write("res.partner", [rid], {"name": "B1"})
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", rid, {"name": "B2"}, uid=ADMIN_UID)
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", rid, {"name": "B1"}, uid=ADMIN_UID)  # a new write_date
    assert poll(admin_conn) == [("write", rid, ["name"])]


def test_same_user_mode_hides_every_change_of_the_connections_user(admin_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "C"})
    hook(admin_conn, echo_suppression="same_user")
    poll(admin_conn)
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", rid, {"name": "C by admin"}, uid=ADMIN_UID)
    assert poll(admin_conn) == [], "the explicit per-user mode drops admin's own change"


def test_off_mode_emits_even_the_hubs_own_writes(admin_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "D"})
    hook(admin_conn, echo_suppression="off")
    poll(admin_conn)
    fake_odoo.tick(1)
    with OdooClient.for_connection(admin_conn) as client:
        client.write("res.partner", [rid], {"name": "D by the hub"})
    assert poll(admin_conn) == [("write", rid, ["name"])]


def test_a_write_in_flight_holds_the_record_back_until_it_is_recorded(admin_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "E"})
    hook(admin_conn)
    poll(admin_conn)
    fake_odoo.tick(1)
    # The hub's write reached Odoo but its read-back is not recorded yet (a poll in between).
    pending = OdooEcho.objects.create(connection=admin_conn, model="res.partner", record_id=rid)
    fake_odoo.write("res.partner", rid, {"name": "E by the hub"}, uid=ADMIN_UID)
    assert poll(admin_conn) == [], "not emitted while the hub's write is in flight"
    OdooEcho.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert poll(admin_conn) == [("write", rid, ["name"])], "a crashed writer holds nothing back"


def test_a_failed_write_leaves_no_echo_record(admin_conn, fake_odoo):
    fake_odoo.deny("res.partner")
    with OdooClient.for_connection(admin_conn) as client, pytest.raises(Exception):  # noqa: B017
        client.write("res.partner", [1], {"name": "x"})
    assert not OdooEcho.objects.exists()


def test_the_admin_warns_when_same_user_would_hide_admins_own_changes(admin_client, admin_conn):
    from django.urls import reverse

    data = {
        "connection": admin_conn.pk,
        "model": "res.partner",
        "events": ["create", "write"],
        "domain": "",
        "tracked_fields": "name",
        "echo_suppression": "same_user",
        "active": "on",
    }
    response = admin_client.post(reverse("admin:hub_modelhook_add"), data, follow=True)
    assert "Every change made in Odoo as login &#x27;admin&#x27;" in response.content.decode()
    hook = ModelHook.objects.get()
    page = admin_client.get(reverse("admin:hub_modelhook_change", args=[hook.pk]))
    assert "is hidden from this hook" in page.content.decode()
    ModelHook.objects.filter(pk=hook.pk).update(echo_suppression="exact")
    page = admin_client.get(reverse("admin:hub_modelhook_change", args=[hook.pk]))
    assert "is hidden from this hook" not in page.content.decode()
