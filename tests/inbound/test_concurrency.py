"""Concurrency: copies of one webhook arriving together, and two upserts of one new record."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client

from hub.models import EventHistory, OdooConnection
from inbound import processing
from inbound.models import InboundSource, IncomingWebhook
from tests.fakes.odoo import Call, FakeOdoo
from tests.inbound.conftest import post_signed

COPIES = 4
ROUNDS = 5


def _post_together(source: InboundSource, msg_id: str) -> list[int]:
    barrier = threading.Barrier(COPIES, timeout=10)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait()
            response = post_signed(Client(), source, {"order": 17}, msg_id=msg_id)
            with lock:
                statuses.append(response.status_code)
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_webhook_are_accepted_once(
    make_source: Callable[..., InboundSource],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises writers, so copies never race on the unique key"
        )
    source = make_source(
        handler="emit_event", handler_config={"model": "shop.order", "event": "paid"}
    )
    for _ in range(ROUNDS):
        msg_id = f"msg_{uuid.uuid4().hex}"
        statuses = _post_together(source, msg_id)
        assert sorted(statuses) == [200] * (COPIES - 1) + [202]
        first = IncomingWebhook.objects.get(source=source, idempotency_key=msg_id)
        assert first.state == "done"
        assert first.duplicates.count() == COPIES - 1
    # One handler run per webhook: one hub event each.
    assert EventHistory.objects.filter(model="shop.order").count() == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_two_webhooks_about_one_new_record_processed_at_once_create_it_once(
    make_source: Callable[..., InboundSource], odoo_conn: OdooConnection, fake_odoo: FakeOdoo
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite's shared-cache test database refuses concurrent writers"
        )
    source = make_source(
        handler="odoo_upsert",
        connection=odoo_conn,
        handler_config={
            "model": "res.partner",
            "match": {"field": "email", "path": "email"},
            "mapping": {"name": "name"},
        },
    )
    rows = [
        IncomingWebhook.objects.create(
            source=source,
            idempotency_key=f"msg_{n}",
            body=json.dumps({"email": "race@example.com", "name": f"Copy {n}"}),
            verification_status="verified",
        )
        for n in range(2)
    ]

    def slow_search(call: Call) -> None:
        # Both workers would see "no such record" and both create one without the lease.
        if call.odoo_method == "search":
            time.sleep(0.3)

    fake_odoo.on_call = slow_search
    barrier = threading.Barrier(len(rows), timeout=10)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def work(pk: int) -> None:
        try:
            barrier.wait()
            outcomes.append(processing.process_incoming(incoming_id=pk))
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(row.pk,)) for row in rows]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert outcomes == ["done", "done"]
    actions = sorted(IncomingWebhook.objects.get(pk=r.pk).result["action"] for r in rows)
    assert actions == ["created", "updated"]
    assert len(fake_odoo.store.search("res.partner", [("email", "=", "race@example.com")])) == 1
