"""The poller against the fake Odoo: a scripted sequence, zero missed and zero duplicated."""

from __future__ import annotations

import pytest

from hub.models import EventHistory, ModelHook, RecordSnapshot
from hub.odoo import services
from hub.odoo.client import OdooClient
from tests.fakes.odoo import ADMIN_UID, HUB_UID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reconcile_every_poll(settings):
    settings.HUB_ODOO_RECONCILE_SECONDS = 0


def poll(conn) -> list:
    """One poll of the connection; the events it produced as (code, id, changed fields)."""
    before = EventHistory.objects.count()
    services.poll_connection(connection_id=conn.pk)
    new = EventHistory.objects.order_by("id")[before:]
    return [(e.event_code, e.record_id, sorted(e.changes or {})) for e in new]


def make_hook(conn, **kwargs) -> ModelHook:
    kwargs.setdefault("tracked_fields", ["name", "email"])
    return ModelHook.objects.create(connection=conn, model="res.partner", **kwargs)


@pytest.mark.parametrize("version", ["16.0", "17.0", "19.0"])
def test_a_scripted_sequence_yields_every_change_exactly_once(odoo_conn, fake_odoo, version):
    if not fake_odoo.xmlrpc and int(version[:2]) < 19:
        pytest.skip("JSON-2 exists from Odoo 19 on")
    fake_odoo.store.version = version
    fake_odoo.freeze("2026-01-05 10:00:00.100")
    p1 = fake_odoo.create("res.partner", {"name": "One", "email": "one@example.com"})
    p2 = fake_odoo.create("res.partner", {"name": "Two", "email": "two@example.com"})
    p3 = fake_odoo.create("res.partner", {"name": "Three"})
    make_hook(odoo_conn)

    assert poll(odoo_conn) == [], "the first poll only takes a baseline"

    fake_odoo.tick(0.2)  # 10:00:00.300 - same second as the baseline
    fake_odoo.write("res.partner", p1, {"email": "one@b.example"})
    assert poll(odoo_conn) == [("write", p1, ["email"])]

    fake_odoo.tick(0.3)  # 10:00:00.600 - still the same second: write_date shows no change
    fake_odoo.write("res.partner", p1, {"email": "one@c.example"})
    assert poll(odoo_conn) == [("write", p1, ["email"])]

    fake_odoo.tick(0.5)  # 10:00:01.100: a long transaction starts and writes early...
    late = fake_odoo.begin()
    late.write("res.partner", [p2], {"email": "two@late.example"})
    late_id = late.create("res.partner", {"name": "Late"})
    fake_odoo.tick(4)  # 10:00:05: ...while others commit and the hub polls past it
    fake_odoo.write("res.partner", p3, {"name": "Three bis"})
    assert poll(odoo_conn) == [("write", p3, ["name"])]
    late.commit()  # visible now, stamped 10:00:01 - before the hub's cursor
    assert poll(odoo_conn) == [("write", p2, ["email"]), ("create", late_id, [])]

    fake_odoo.tick(1)
    fake_odoo.write("res.partner", p3, {"active": False})
    assert poll(odoo_conn) == [("write", p3, ["active"])], "archiving is a write of active"
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", p3, {"active": True})
    assert poll(odoo_conn) == [("write", p3, ["active"])]

    fake_odoo.tick(1)
    fake_odoo.write("res.partner", p1, {"phone": "+32 2 000"})
    assert poll(odoo_conn) == [], "a write to an untracked field emits nothing"

    fake_odoo.tick(1)
    with OdooClient.for_connection(odoo_conn) as client:
        client.write("res.partner", [p1], {"email": "hub@example.com"})
    assert poll(odoo_conn) == [], "the hub's own writes do not echo"
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", p1, {"email": "user@example.com"}, uid=ADMIN_UID)
    assert poll(odoo_conn) == [("write", p1, ["email"])]
    event = EventHistory.objects.latest("id")
    assert event.changes == {"email": {"before": "hub@example.com", "after": "user@example.com"}}

    fake_odoo.tick(1)
    fake_odoo.unlink("res.partner", p2)
    assert poll(odoo_conn) == [("unlink", p2, [])]
    unlink = EventHistory.objects.latest("id")
    assert unlink.data["email"] == "two@late.example", "unlink carries the last known values"

    fake_odoo.tick(1)
    p4 = fake_odoo.create("res.partner", {"name": "Four"})
    fake_odoo.write("res.partner", p4, {"email": "four@example.com"})
    assert poll(odoo_conn) == [("create", p4, [])]
    assert EventHistory.objects.latest("id").data["email"] == "four@example.com"

    assert poll(odoo_conn) == [], "re-reading the overlap window emits nothing twice"
    assert poll(odoo_conn) == []
    assert RecordSnapshot.objects.count() == 4  # p1, p3, late, p4


def test_a_write_event_carries_user_time_data_and_changes(odoo_conn, fake_odoo):
    fake_odoo.freeze("2026-03-01 08:30:00.250")
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    make_hook(odoo_conn)
    poll(odoo_conn)
    fake_odoo.tick(3)
    fake_odoo.write("res.partner", pid, {"email": "b@example.com"})
    poll(odoo_conn)
    event = EventHistory.objects.get(event_code="write")
    assert event.user == {"id": ADMIN_UID, "name": "Mitchell Admin"}
    assert event.occurred_at.isoformat() == "2026-03-01T08:30:03+00:00"
    assert event.source == odoo_conn.name and event.connection == odoo_conn
    assert event.model == "res.partner" and event.record_id == pid
    assert event.data["email"] == "b@example.com" and event.data["display_name"] == "Azure"
    assert event.changes == {"email": {"before": "a@example.com", "after": "b@example.com"}}


def test_backfill_emits_create_for_every_matching_record_then_polls_quietly(
    odoo_conn, fake_odoo, settings
):
    settings.HUB_ODOO_BATCH_SIZE = 4
    settings.HUB_ODOO_BACKFILL_PAUSE = 0
    ids = [
        fake_odoo.create("res.partner", {"name": f"P{i}", "is_company": i % 2 == 0})
        for i in range(10)
    ]
    hook = make_hook(odoo_conn, domain="[('is_company', '=', True)]")
    services.poll_hooks(hook_ids=[hook.pk], backfill=True)
    created = EventHistory.objects.filter(event_code="create").order_by("record_id")
    assert [e.record_id for e in created] == ids[0::2]
    fake_odoo.reset_calls()
    assert poll(odoo_conn) == []
    assert fake_odoo.count("search_read") >= 1


def test_tracking_every_field_when_tracked_fields_is_empty(odoo_conn, fake_odoo):
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    make_hook(odoo_conn, tracked_fields=[])
    poll(odoo_conn)
    fake_odoo.write("res.partner", pid, {"phone": "123", "credit_limit": 10.5})
    assert poll(odoo_conn) == [("write", pid, ["credit_limit", "phone"])]


def test_a_record_entering_the_domain_is_a_write_with_unknown_before(odoo_conn, fake_odoo):
    fake_odoo.freeze("2026-01-01 09:00:00")
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    fake_odoo.tick(3600)
    fake_odoo.create("res.partner", {"name": "Someone else"})
    make_hook(odoo_conn, domain="[('is_company', '=', True)]")
    poll(odoo_conn)  # nothing matches: the cursor starts at the model's latest write
    fake_odoo.tick(3600)
    fake_odoo.write("res.partner", pid, {"is_company": True})
    assert poll(odoo_conn) == [("write", pid, ["active", "email", "name"])]
    event = EventHistory.objects.get()
    assert event.changes["email"] == {"before": None, "after": "a@example.com"}


def test_only_watched_event_codes_are_emitted(odoo_conn, fake_odoo):
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    make_hook(odoo_conn, events=["unlink"])
    poll(odoo_conn)
    fake_odoo.write("res.partner", pid, {"name": "Azure 2"})
    other = fake_odoo.create("res.partner", {"name": "New"})
    assert poll(odoo_conn) == []
    fake_odoo.unlink("res.partner", [pid, other])
    assert sorted(poll(odoo_conn)) == [("unlink", pid, []), ("unlink", other, [])]


def test_many_writes_in_one_second_are_paged_by_id(odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_BATCH_SIZE = 5
    fake_odoo.freeze("2026-01-05 10:00:00")
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(13)]
    make_hook(odoo_conn)
    poll(odoo_conn)
    assert RecordSnapshot.objects.count() == 13
    fake_odoo.tick(2)
    for i, pid in enumerate(ids):
        fake_odoo.tick(0.01)
        fake_odoo.write("res.partner", pid, {"name": f"Q{i}"})
    assert sorted(poll(odoo_conn)) == sorted(("write", pid, ["name"]) for pid in ids)
    assert poll(odoo_conn) == []


def test_a_record_rewritten_while_paging_shifts_nothing_out_of_view(odoo_conn, fake_odoo, settings):
    settings.HUB_ODOO_BATCH_SIZE = 3
    fake_odoo.freeze("2026-01-05 10:00:00")
    ids = [fake_odoo.create("res.partner", {"name": f"P{i}"}) for i in range(9)]
    make_hook(odoo_conn)
    poll(odoo_conn)
    for i, pid in enumerate(ids):
        fake_odoo.tick(1)  # one second each: pages split between seconds
        fake_odoo.write("res.partner", pid, {"name": f"Q{i}"})
    pages = []

    def rewrite_first_between_pages(call):
        if call.odoo_method in ("search_read", "read") and call.model == "res.partner":
            pages.append(call)
            if len(pages) == 2:  # after the scan, before the full read: a rewrite
                fake_odoo.tick(1)
                fake_odoo.write("res.partner", ids[0], {"name": "Q0 again"})

    fake_odoo.on_call = rewrite_first_between_pages
    events = poll(odoo_conn)
    fake_odoo.on_call = None
    events += poll(odoo_conn)
    assert sorted(events) == sorted(("write", pid, ["name"]) for pid in ids)
    first = EventHistory.objects.filter(record_id=ids[0]).get()
    assert first.data["name"] == "Q0 again", "the state read, not a step in between"
    assert poll(odoo_conn) == []


def test_odoo_19_and_16_semantics_differ_in_the_fake(fake_odoo):
    fake_odoo.freeze("2026-01-05 10:00:05.400")
    pid = fake_odoo.create("res.partner", {"name": "X"})
    gt = [("write_date", ">", "2026-01-05 10:00:05")]
    fake_odoo.store.version = "17.0"
    assert fake_odoo.store.search("res.partner", gt) == [pid]
    fake_odoo.store.version = "19.0"
    assert fake_odoo.store.search("res.partner", gt) == []
    assert fake_odoo.store.search("res.partner", [("write_date", ">=", "2026-01-05 10:00:05")]) == [
        pid
    ]


@pytest.mark.parametrize("version", ["17.0", "19.0"])
def test_the_fakes_write_date_index_answers_as_a_full_scan(version):
    """The fake answers datetime bounds from a sorted index (as a database would): every
    search must answer exactly what evaluating the domain on each record answers, also for
    records written on a whole second (every tenth one here)."""
    from tests.fakes.odoo import FakeOdoo

    fake = FakeOdoo(version=version)
    fake.freeze("2026-01-05 10:00:00")
    ids = []
    for n in range(40):
        fake.tick(0.3)
        ids.append(fake.create("res.partner", {"name": f"P{n}", "active": n % 3 != 0}))
    fake.tick(2)
    fake.write("res.partner", ids[5], {"name": "rewritten"})  # moves in the index
    fake.unlink("res.partner", ids[7])
    store, off = fake.store, {"active_test": False}
    for domain in (
        [("write_date", ">", "2026-01-05 10:00:03")],
        [("write_date", ">=", "2026-01-05 10:00:03"), ("write_date", "<", "2026-01-05 10:00:06")],
        [("write_date", ">=", "2026-01-05 10:00:02"), ("id", ">", ids[10])],
        [("write_date", "<=", "2026-01-05 10:00:04"), ("create_date", ">", "2026-01-05 10:00:01")],
        [("write_date", ">", "2026-01-05 10:00:06"), ("write_date", "<=", "2026-01-05 10:00:09")],
        [("write_date", ">=", "2026-01-05 10:00:06"), ("write_date", "<", "2026-01-05 10:00:09")],
        ["|", ("write_date", ">", "2026-01-05 10:00:10"), ("name", "=", "P1")],
        [("write_date", ">=", "2026-01-05 10:00:13")],
    ):
        for context in (None, off):
            expected = sorted(
                rid
                for rid, rec in store.records["res.partner"].items()
                if store.matches("res.partner", rec, domain) and (context is off or rec["active"])
            )
            assert store.search("res.partner", domain, context=context) == expected, domain
            assert store.count("res.partner", domain, context=context) == len(expected)
    assert ids[5] in store.search("res.partner", [("write_date", ">=", "2026-01-05 10:00:13")])


def test_a_second_poll_of_a_busy_hook_is_skipped(odoo_conn, fake_odoo):
    from hub.odoo import state

    hook = make_hook(odoo_conn)
    token = state.acquire(hook.pk)
    results = services.poll_connection(connection_id=odoo_conn.pk)
    assert results[0].busy is True
    assert fake_odoo.count("search_read") == 0
    state.release(hook.pk, token)
    assert services.poll_connection(connection_id=odoo_conn.pk)[0].busy is False


def test_the_server_version_and_uid_are_stored_on_the_connection(odoo_conn, fake_odoo):
    make_hook(odoo_conn)
    poll(odoo_conn)
    odoo_conn.refresh_from_db()
    assert (odoo_conn.version, odoo_conn.uid) == (fake_odoo.store.version, HUB_UID)
    assert odoo_conn.transport == ("xmlrpc" if fake_odoo.xmlrpc else "json2")
    assert odoo_conn.last_poll_at is not None and odoo_conn.next_poll_at > odoo_conn.last_poll_at
