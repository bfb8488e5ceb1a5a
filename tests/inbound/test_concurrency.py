"""Two copies of one webhook arriving at the same moment: one is accepted, one is a duplicate."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client

from hub.models import EventHistory
from inbound.models import InboundSource, IncomingWebhook
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
