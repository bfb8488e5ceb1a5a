"""Cheap polls and prompt deletes: what a poll reads from Odoo when little or nothing changed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from hub.models import EventHistory, ModelHook
from hub.odoo import services

pytestmark = pytest.mark.django_db


def poll(conn) -> list:
    before = EventHistory.objects.count()
    services.poll_connection(connection_id=conn.pk)
    new = EventHistory.objects.order_by("id")[before:]
    return [(e.event_code, e.record_id, sorted(e.changes or {})) for e in new]


def make_hook(conn, **kwargs) -> ModelHook:
    kwargs.setdefault("tracked_fields", ["name", "email"])
    return ModelHook.objects.create(connection=conn, model="res.partner", **kwargs)


def hub_time_passes(seconds: int) -> None:
    """As if the hub had seen Odoo's latest write `seconds` earlier (Odoo's clock moved on)."""
    for hook in ModelHook.objects.all():
        written, seen_at = cache.get(f"hub:odoo:clock:{hook.pk}")
        cache.set(f"hub:odoo:clock:{hook.pk}", (written, seen_at - seconds))


def test_a_poll_with_nothing_new_reads_no_record_bodies(odoo_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(20)]
    make_hook(odoo_conn)
    poll(odoo_conn)
    fake_odoo.tick(3)
    fake_odoo.write("res.partner", ids[0], {"name": "P0 bis"})
    assert poll(odoo_conn) == [("write", ids[0], ["name"])]
    hub_time_passes(10)
    assert poll(odoo_conn) == []  # read once more: it was read in the second it was written

    fake_odoo.reset_calls()
    assert poll(odoo_conn) == []
    assert fake_odoo.count("read") == 0, "no record body is read"
    assert fake_odoo.count("search_read") == 1, "one scan of ids and write dates"
    assert fake_odoo.count("search_count") == 1, "one count for deletes"
    assert fake_odoo.count("search") == 0, "counts agree: no id reconciliation"


def test_a_record_read_within_its_write_second_is_read_again(odoo_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00.100")
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    make_hook(odoo_conn)
    poll(odoo_conn)
    for n in range(3):
        fake_odoo.tick(0.2)  # still 10:00:00: write_date does not change
        fake_odoo.write("res.partner", pid, {"name": f"Azure {n}"})
        assert poll(odoo_conn) == [("write", pid, ["name"])]


def test_only_new_or_changed_records_are_read_in_full(odoo_conn, fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:00")
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(30)]
    make_hook(odoo_conn)
    poll(odoo_conn)
    fake_odoo.tick(5)
    fake_odoo.write("res.partner", ids[3], {"email": "p3@example.com"})
    new = fake_odoo.create("res.partner", {"name": "New"})
    fake_odoo.reset_calls()
    assert sorted(poll(odoo_conn)) == [("create", new, []), ("write", ids[3], ["email"])]
    assert fake_odoo.count("read") == 1, "one read of the two, not of the thirty"


def test_a_late_commit_older_than_the_recent_window_is_seen_by_the_overlap_scan(
    odoo_conn, fake_odoo, settings
):
    settings.HUB_ODOO_RECENT_WINDOW = 2
    settings.HUB_ODOO_OVERLAP_SCAN_SECONDS = 3600
    fake_odoo.freeze("2026-01-05 10:00:00")
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    make_hook(odoo_conn)
    poll(odoo_conn)
    fake_odoo.tick(1)
    late = fake_odoo.begin()  # stamped 10:00:01 ...
    late.write("res.partner", [pid], {"name": "Late"})
    fake_odoo.tick(60)
    other = fake_odoo.create("res.partner", {"name": "Other"})
    assert poll(odoo_conn) == [("create", other, [])]
    late.commit()  # ... committed a minute later, older than the recent window
    assert poll(odoo_conn) == [], "the recent window does not reach back that far"
    cache.clear()  # as when the overlap scan is due (or the worker restarted)
    assert poll(odoo_conn) == [("write", pid, ["name"])]


def test_a_delete_is_seen_by_the_next_poll(odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_RECONCILE_SECONDS = 3600
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(5)]
    make_hook(odoo_conn)
    poll(odoo_conn)
    poll(odoo_conn)
    fake_odoo.unlink("res.partner", ids[2])
    assert poll(odoo_conn) == [("unlink", ids[2], [])]
    fake_odoo.reset_calls()
    assert poll(odoo_conn) == []
    assert fake_odoo.count("search") == 0, "counts agree again: no id reconciliation"


def test_a_record_leaving_the_domain_is_reconciled_once_not_on_every_poll(
    odoo_conn, fake_odoo, settings
):
    settings.HUB_ODOO_RECONCILE_SECONDS = 3600
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}", "is_company": True}) for i in range(3)]
    make_hook(odoo_conn, domain="[('is_company', '=', True)]")
    poll(odoo_conn)
    poll(odoo_conn)
    fake_odoo.write("res.partner", ids[0], {"is_company": False})
    fake_odoo.reset_calls()
    assert poll(odoo_conn) == []
    assert fake_odoo.count("search") == 1, "the count moved: ids reconciled, nothing deleted"
    fake_odoo.reset_calls()
    assert poll(odoo_conn) == []
    assert fake_odoo.count("search") == 0


def test_poll_odoo_once_sees_a_delete(odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_RECONCILE_SECONDS = 3600
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    make_hook(odoo_conn)
    call_command("poll_odoo", "--once", stdout=StringIO())
    call_command("poll_odoo", "--once", stdout=StringIO())
    fake_odoo.unlink("res.partner", pid)
    call_command("poll_odoo", "--once", stdout=StringIO())
    assert list(EventHistory.objects.values_list("event_code", "record_id")) == [("unlink", pid)]


def test_a_rewrite_in_the_second_of_a_large_baseline_is_seen(odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_BATCH_SIZE = 5  # the baseline walks that second by id, in pages
    fake_odoo.freeze("2026-01-05 10:00:00.100")
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(13)]
    make_hook(odoo_conn)
    poll(odoo_conn)
    fake_odoo.tick(0.2)  # still 10:00:00
    fake_odoo.write("res.partner", ids[0], {"name": "P0 bis"})
    assert poll(odoo_conn) == [("write", ids[0], ["name"])]
