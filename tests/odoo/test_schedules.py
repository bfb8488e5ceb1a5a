"""Scheduled polls (dispatcher + django-q2, inline in tests), poll_odoo, one poll at a time."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.utils import timezone

from hub.models import EventHistory, ModelHook, OdooConnection
from hub.odoo import services, tasks
from hub.odoo.client import OdooClient
from hub.odoo.poller import poll_hook
from hub.schedules import all_specs
from tests.fakes.odoo import HUB_API_KEY

pytestmark = pytest.mark.django_db


def test_the_dispatcher_is_scheduled_every_minute():
    spec = next(s for s in all_specs() if s.func == "hub.odoo.tasks.dispatch_polls")
    assert spec.minutes == 1


def test_the_dispatcher_polls_due_connections_once_per_interval(odoo_conn, fake_odoo):
    hook = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    idle = OdooConnection.objects.create(
        name="idle", url=fake_odoo.url, database="x", username="u", password="p", active=False
    )
    assert tasks.dispatch_polls() == 1  # django-q2 runs the poll inline in tests
    hook.refresh_from_db()
    odoo_conn.refresh_from_db()
    assert hook.baseline_done
    assert odoo_conn.next_poll_at > timezone.now() + timedelta(seconds=50)
    assert tasks.dispatch_polls() == 0, "not due again before its interval"
    OdooConnection.objects.filter(pk=odoo_conn.pk).update(next_poll_at=timezone.now())
    assert tasks.dispatch_polls() == 1
    idle.refresh_from_db()
    assert idle.last_poll_at is None


def test_a_sixty_second_interval_is_polled_at_every_dispatcher_tick(odoo_conn):
    started = timezone.now()
    assert tasks.dispatch_polls(now=started) == 1
    assert tasks.dispatch_polls(now=started + timedelta(seconds=30)) == 0
    # The scheduler's next tick, a hair under a minute later: the poll that ended after
    # `started` set next_poll_at a little past it, and it is still due at this tick.
    assert tasks.dispatch_polls(now=started + timedelta(seconds=59.5)) == 1


def test_a_due_connection_is_claimed_by_one_dispatcher_only(odoo_conn):
    now = timezone.now()
    assert services.claim_due_connections(now=now) == [odoo_conn.pk]
    assert services.claim_due_connections(now=now) == []


def test_poll_odoo_once_polls_every_active_connection(odoo_conn, fake_odoo):
    fake_odoo.create("res.partner", {"name": "Azure"})
    ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    out = StringIO()
    call_command("poll_odoo", "--once", stdout=out)
    assert "fake hook" in out.getvalue() and "baseline taken; 1 records read" in out.getvalue()
    pid = fake_odoo.create("res.partner", {"name": "New"})
    call_command("poll_odoo", "--once", "--connection", "fake", stdout=StringIO())
    assert EventHistory.objects.get().record_id == pid


def test_poll_odoo_reports_an_unreachable_odoo(odoo_conn, fake_odoo):
    ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    fake_odoo.set_down("refuse")
    err = StringIO()
    call_command("poll_odoo", "--once", stdout=StringIO(), stderr=err)
    assert "fake: Odoo unavailable" in err.getvalue()
    fake_odoo.set_up()


def test_poll_odoo_refuses_an_unknown_connection(db):
    with pytest.raises(CommandError, match="no Odoo connection named 'nope'"):
        call_command("poll_odoo", "--once", "--connection", "nope")


def test_poll_odoo_loops_until_interrupted(odoo_conn, fake_odoo, monkeypatch):
    ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    sleeps = []

    def interrupt_on_second_sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("hub.management.commands.poll_odoo.time.sleep", interrupt_on_second_sleep)
    out = StringIO()
    call_command("poll_odoo", stdout=out)
    assert out.getvalue().count("baseline taken") == 1
    assert out.getvalue().rstrip().endswith("stopped")
    assert 0 < sleeps[0] <= 60


@pytest.mark.django_db(transaction=True)
def test_concurrent_polls_of_one_hook_emit_each_change_once(fake_odoo, settings):
    if db.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    settings.HUB_ODOO_BATCH_SIZE = 5
    conn = OdooConnection.objects.create(
        name="race",
        url=fake_odoo.url,
        database="odoo_test",
        username="hub",
        password="hub-pass",
        api_key="" if fake_odoo.xmlrpc else HUB_API_KEY,  # JSON-2 takes API keys only
    )
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(30)]
    hook = ModelHook.objects.create(connection=conn, model="res.partner")
    services.poll_connection(connection_id=conn.pk)
    for pid in ids:
        fake_odoo.write("res.partner", pid, {"name": f"Q{pid}"})
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait(timeout=10)
            client = OdooClient.for_connection(conn)
            results.append(poll_hook(hook=ModelHook.objects.get(pk=hook.pk), client=client))
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(1 for r in results if not r.busy) >= 1
    writes = EventHistory.objects.filter(event_code="write")
    assert list(writes.order_by("record_id").values_list("record_id", flat=True)) == ids
