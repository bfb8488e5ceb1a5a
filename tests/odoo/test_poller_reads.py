"""What the poller reads (rule paths resolved in batches) and how it survives Odoo being down."""

from __future__ import annotations

import pytest

from hub.lib.paths import get_path
from hub.models import EventHistory, ModelHook
from hub.odoo import services
from rules.models import PayloadField, WebhookEvent, WebhookRule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reconcile_every_poll(settings):
    settings.HUB_ODOO_RECONCILE_SECONDS = 0


def order_rule(*paths: str) -> WebhookRule:
    rule = WebhookRule.objects.create(
        name="orders", model="sale.order", url="http://127.0.0.1:9/hook", test_mode=True
    )
    rule.events.set(WebhookEvent.objects.filter(code__in=["create", "write"]))
    for seq, path in enumerate(paths):
        PayloadField.objects.create(rule=rule, source_path=path, sequence=seq)
    return rule


def seed_orders(fake, count: int) -> list[int]:
    be = fake.create("res.country", {"name": "Belgium", "code": "BE"})
    fr = fake.create("res.country", {"name": "France", "code": "FR"})
    desk = fake.create("product.product", {"name": "Desk"})
    chair = fake.create("product.product", {"name": "Chair"})
    orders = []
    for i in range(count):
        partner = fake.create(
            "res.partner", {"name": f"Customer {i}", "country_id": be if i % 2 else fr}
        )
        orders.append(
            fake.create(
                "sale.order",
                {
                    "name": f"S{i:04d}",
                    "partner_id": partner,
                    "state": "draft",
                    "order_line": [
                        (0, 0, {"name": "l1", "product_id": desk}),
                        (0, 0, {"name": "l2", "product_id": chair}),
                    ],
                },
            )
        )
    return orders


def test_dotted_paths_are_read_in_one_call_per_related_model(odoo_conn, fake_odoo):
    order_rule("name", "partner_id.country_id.code", "order_line.product_id.name")
    orders = seed_orders(fake_odoo, 12)
    ModelHook.objects.create(connection=odoo_conn, model="sale.order", tracked_fields=["state"])
    services.poll_connection(connection_id=odoo_conn.pk)  # baseline (and fields_get, cached)

    fake_odoo.tick(2)
    for oid in orders:
        fake_odoo.write("sale.order", oid, {"state": "sale"})
    fake_odoo.reset_calls()
    services.poll_connection(connection_id=odoo_conn.pk)

    reads = sorted(c.model for c in fake_odoo.calls if c.odoo_method == "read")
    assert reads == [
        "product.product",
        "res.country",
        "res.partner",
        "sale.order",
        "sale.order.line",
    ]
    assert fake_odoo.count("search_read", model="sale.order") == 1, "one scan of ids and dates"
    assert fake_odoo.count("fields_get") == 0, "fields_get is cached"
    # the scan, the orders' read, 4 related reads, the delete count, the reconciliation search
    assert fake_odoo.count() == 8

    events = EventHistory.objects.filter(event_code="write").order_by("record_id")
    assert len(events) == 12
    first = events[0].data
    assert get_path(first, "partner_id.country_id.code") == "FR"
    assert get_path(first, "order_line.product_id.name") == ["Desk", "Chair"]
    assert get_path(events[1].data, "partner_id.country_id.code") == "BE"
    assert events[0].changes == {"state": {"before": "draft", "after": "sale"}}


def test_the_number_of_calls_does_not_grow_with_the_number_of_records(odoo_conn, fake_odoo):
    order_rule("partner_id.country_id.code")
    counts = []
    for size in (3, 30):
        orders = seed_orders(fake_odoo, size)
        hook, _ = ModelHook.objects.get_or_create(connection=odoo_conn, model="sale.order")
        services.poll_connection(connection_id=odoo_conn.pk)
        fake_odoo.tick(2)
        for oid in orders:
            fake_odoo.write("sale.order", oid, {"note": "x"})
        fake_odoo.reset_calls()
        services.poll_connection(connection_id=odoo_conn.pk)
        counts.append(fake_odoo.count())
    assert counts[0] == counts[1]


def test_an_unknown_path_in_a_rule_is_skipped_not_fatal(odoo_conn, fake_odoo):
    order_rule("partner_id.no_such_field", "name")
    seed_orders(fake_odoo, 1)
    hook = ModelHook.objects.create(connection=odoo_conn, model="sale.order")
    services.poll_hooks(hook_ids=[hook.pk], backfill=True)
    hook.refresh_from_db()
    assert hook.last_error == ""
    assert EventHistory.objects.get().data["name"] == "S0000"


def test_odoo_down_is_recorded_backs_off_and_loses_nothing(odoo_conn, fake_odoo):
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    hook = ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", tracked_fields=["email"]
    )
    services.poll_connection(connection_id=odoo_conn.pk)
    hook.refresh_from_db()
    cursor = hook.cursor

    fake_odoo.set_down("500")
    fake_odoo.tick(5)
    fake_odoo.write("res.partner", pid, {"email": "b@example.com"})
    services.poll_connection(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    hook.refresh_from_db()
    assert odoo_conn.last_error.startswith("Odoo unavailable: HTTP 500")
    assert "Traceback" not in odoo_conn.last_error
    assert odoo_conn.last_error_at is not None and odoo_conn.consecutive_failures == 1
    first_delay = odoo_conn.next_poll_at - odoo_conn.last_error_at
    assert hook.cursor == cursor
    assert EventHistory.objects.count() == 0

    fake_odoo.set_down("refuse")
    services.poll_connection(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    assert "Connection refused" in odoo_conn.last_error
    assert odoo_conn.consecutive_failures == 2
    assert odoo_conn.next_poll_at - odoo_conn.last_error_at > first_delay, "backoff grows"

    fake_odoo.set_up()
    services.poll_connection(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    assert (odoo_conn.last_error, odoo_conn.consecutive_failures) == ("", 0)
    event = EventHistory.objects.get()
    assert event.changes == {"email": {"before": "a@example.com", "after": "b@example.com"}}


def test_a_malformed_answer_is_a_one_line_error_that_loses_nothing(odoo_conn, fake_odoo):
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    hook = ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", tracked_fields=["email"]
    )
    services.poll_connection(connection_id=odoo_conn.pk)
    hook.refresh_from_db()
    cursor = hook.cursor
    fake_odoo.tick(5)
    fake_odoo.write("res.partner", pid, {"email": "b@example.com"})
    fake_odoo.raw_response = (  # a struct member without a name: IndexError in the stdlib
        b"<methodResponse><params><param><value><struct><member><value><int>1</int></value>"
        b"</member></struct></value></param></params></methodResponse>"
    )
    services.poll_connection(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    hook.refresh_from_db()
    assert odoo_conn.last_error.startswith("Unreadable answer from Odoo (retried later): ")
    assert "\n" not in odoo_conn.last_error and odoo_conn.consecutive_failures == 1
    assert hook.cursor == cursor and EventHistory.objects.count() == 0

    fake_odoo.raw_response = None
    services.poll_connection(connection_id=odoo_conn.pk)
    assert EventHistory.objects.get().changes == {
        "email": {"before": "a@example.com", "after": "b@example.com"}
    }


def test_wrong_credentials_are_shown_on_the_connection(odoo_conn, fake_odoo):
    ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    odoo_conn.password = "wrong"
    odoo_conn.api_key = "revoked-key" if odoo_conn.api_key else ""
    odoo_conn.save()
    services.poll_connection(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    refused = "the login 'hub'" if fake_odoo.xmlrpc else "the API key"
    assert odoo_conn.last_error.startswith(f"Login failed: Odoo refused {refused}")
    assert odoo_conn.consecutive_failures == 1


def test_a_hook_on_an_unknown_model_fails_alone(odoo_conn, fake_odoo):
    bad = ModelHook.objects.create(connection=odoo_conn, model="x.nothing")
    good = ModelHook.objects.create(connection=odoo_conn, model="res.partner")
    fake_odoo.create("res.partner", {"name": "Azure"})
    services.poll_connection(connection_id=odoo_conn.pk)
    bad.refresh_from_db()
    good.refresh_from_db()
    odoo_conn.refresh_from_db()
    assert bad.last_error.startswith("Odoo refused: ") and "x.nothing" in bad.last_error
    assert good.baseline_done and good.last_error == ""
    assert odoo_conn.last_error == ""


def test_a_forbidden_model_is_an_access_error_on_the_hook(odoo_conn, fake_odoo):
    fake_odoo.deny("sale.order")
    hook = ModelHook.objects.create(connection=odoo_conn, model="sale.order")
    services.poll_connection(connection_id=odoo_conn.pk)
    hook.refresh_from_db()
    assert hook.last_error.startswith("Odoo access error: You are not allowed to access")
