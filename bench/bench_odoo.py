"""Odoo poller throughput: records/s through the poller vs a bare xmlrpc.client search_read loop.

Both read the same N res.partner records, with the same fields, from the same fake Odoo XML-RPC
server on 127.0.0.1 (tests/fakes/odoo.py), in the same run. Hub side: the real poller
(`hub.odoo.services.poll_connection`): the write_date window in pages, the dotted path a rule
needs (`country_id.code`, one batched read per page), snapshot diffs, events recorded with
their cursor in one transaction per page. Two hub figures: the baseline poll (snapshots
written, no events) and a poll after every record was written (N write events). Also printed:
XML-RPC calls per poll cycle (idle and busy). The rule is active but listens to no event, so
it shapes what is read without adding deliveries to the measurement.
Run: ``make bench`` or ``python -m bench odoo``.
"""

from __future__ import annotations

import time
import xmlrpc.client

N = 3000
PAGE = 500


def _seed(fake) -> list[int]:
    fake.freeze("2026-01-05 10:00:00")
    countries = [fake.create("res.country", {"name": f"C{i}", "code": f"C{i}"}) for i in range(20)]
    ids = []
    for i in range(N):
        fake.tick(0.01)  # ~100 writes per second, as a busy Odoo would stamp them
        ids.append(
            fake.create(
                "res.partner",
                {
                    "name": f"Partner {i}",
                    "email": f"p{i}@example.com",
                    "country_id": countries[i % 20],
                },
            )
        )
    return ids


def _bare(fake, fields: list[str]) -> float:
    """The baseline: search_read in pages with the stdlib client, nothing else."""
    common = xmlrpc.client.ServerProxy(f"{fake.url}/xmlrpc/2/common")
    uid = common.authenticate(fake.db, "hub", "hub-pass", {})
    models = xmlrpc.client.ServerProxy(f"{fake.url}/xmlrpc/2/object")
    started = time.perf_counter()
    seen = 0
    for offset in range(0, N, PAGE):
        rows = models.execute_kw(
            fake.db,
            uid,
            "hub-pass",
            "res.partner",
            "search_read",
            [[]],
            {
                "fields": fields,
                "offset": offset,
                "limit": PAGE,
                "order": "write_date asc, id asc",
                "context": {"active_test": False},
            },
        )
        seen += len(rows)
    assert seen == N, seen
    return N / (time.perf_counter() - started)


def main() -> None:
    from django.conf import settings

    from hub.models import EventHistory, ModelHook, OdooConnection
    from hub.odoo import services
    from rules.models import PayloadField, WebhookRule
    from tests.fakes.odoo import DB, HUB_PASSWORD, FakeOdoo

    settings.HUB_ODOO_BATCH_SIZE = PAGE
    settings.HUB_ODOO_RECONCILE_SECONDS = 3600
    fake = FakeOdoo().start()
    try:
        ids = _seed(fake)
        conn = OdooConnection.objects.create(
            name="bench", url=fake.url, database=DB, username="hub", password=HUB_PASSWORD
        )
        rule = WebhookRule.objects.create(
            name="bench", model="res.partner", url="http://127.0.0.1:9/", test_mode=True
        )
        PayloadField.objects.create(rule=rule, source_path="country_id.code")
        ModelHook.objects.create(
            connection=conn, model="res.partner", tracked_fields=["name", "email"]
        )
        fields = [
            "active",
            "country_id",
            "create_date",
            "display_name",
            "email",
            "name",
            "write_date",
            "write_uid",
        ]
        bare = _bare(fake, fields)

        fake.reset_calls()
        started = time.perf_counter()
        services.poll_connection(connection_id=conn.pk)
        baseline = N / (time.perf_counter() - started)
        baseline_calls = fake.count()

        fake.reset_calls()
        services.poll_connection(connection_id=conn.pk)
        idle_calls = fake.count()

        fake.tick(5)
        for pid in ids:
            fake.tick(0.01)
            fake.write("res.partner", pid, {"email": f"new{pid}@example.com"})
        fake.reset_calls()
        started = time.perf_counter()
        services.poll_connection(connection_id=conn.pk)
        busy = N / (time.perf_counter() - started)
        busy_calls = fake.count()
        events = EventHistory.objects.filter(connection=conn, event_code="write").count()
        if events != N:
            raise SystemExit(f"expected {N} write events, got {events}")
    finally:
        fake.stop()

    print(f"records: {N}, page size {PAGE}, fields read {len(fields)} + country_id.code")
    print(f"bare xmlrpc.client search_read loop: {bare:8.0f} records/s")
    print(
        f"hub poller, baseline (no events):    {baseline:8.0f} records/s "
        f"(ratio {baseline / bare:.2f}x of bare)"
    )
    print(
        f"hub poller, every record written:    {busy:8.0f} records/s "
        f"(ratio {busy / bare:.2f}x of bare, {events} events)"
    )
    print(
        f"XML-RPC calls per poll cycle: idle {idle_calls}, baseline {baseline_calls}, "
        f"busy {busy_calls} (bare loop: {N // PAGE} for the same records)"
    )


if __name__ == "__main__":
    main()
