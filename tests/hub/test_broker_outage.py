"""A Redis broker outage: emit, inbound webhooks and push still answer, and the sweeps send later.

The hub runs against django-q2's real Redis broker pointed at a closed port (every enqueue is
refused by the operating system), queueing for real instead of the tests' inline mode. Once the
broker is back (inline mode again), the sweeps hand the stored rows to the queue.
"""

from __future__ import annotations

import json
import socket
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_q.conf import Conf
from rest_framework.authtoken.models import Token

from delivery import sweeps
from delivery.models import LogStatus, WebhookLog
from hub import unplanned
from hub.lib import queue
from hub.models import EventHistory
from hub.odoo import state
from inbound import processing
from inbound.models import InboundSource, IncomingWebhook
from rules.models import DispatchMode, WebhookEvent, WebhookRule
from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: F401  (fixtures)
from tests.fakes.receiver import Receiver

# The live server answers in other threads: they must see the committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    """A loopback port nothing listens on (bound by us, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def broker_down() -> Iterator[None]:
    """django-q2 configured for Redis on a closed port, queueing for real (not inline)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Conf, "SYNC", False)
        patch.setattr(Conf, "ORM", None)  # django-q2 picks Redis when no other broker is set
        patch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{closed_port()}/0")
        queue._local.broker = None  # each thread builds its broker from the settings above
        try:
            yield
        finally:
            queue._local.broker = None  # the broker is back: the configured one, inline
    queue._local.broker = None


def rule_to(receiver: Receiver, *, model: str, event: str, **fields: Any) -> WebhookRule:
    code, _ = WebhookEvent.objects.get_or_create(code=event, defaults={"name": event})
    rule = WebhookRule.objects.create(
        name=f"{model} {event} {fields}", model=model, url=receiver.url_for(f"/{model}"), **fields
    )
    rule.events.set([code])
    return rule


def post_json(url: str, payload: Any, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def sweep_deliveries() -> int:
    """The lost-task sweep as it runs once pending logs are old enough to count as lost."""
    return sweeps.lost_task_sweep(now=timezone.now() + sweeps.LOST_AFTER + timedelta(seconds=1))


def test_emit_answers_202_while_the_broker_is_down_and_the_sweep_sends_it_later(
    live_server, admin_user_obj, receiver: Receiver
) -> None:
    rule_to(receiver, model="sale.order", event="write")
    token = Token.objects.create(user=admin_user_obj).key
    emit = {"model": "sale.order", "event": "write", "record_id": 7, "data": {"id": 7}}
    with broker_down():
        status, body = post_json(
            f"{live_server.url}/api/emit/", emit, {"Authorization": f"Token {token}"}
        )
        assert unplanned.handoff.flush(timeout=10)  # its planning task was refused
    assert (status, body["deliveries"]) == (202, 1)
    assert EventHistory.objects.get().pending_rules is not None
    assert not WebhookLog.objects.exists()
    assert receiver.requests == []

    # The planning sweep plans it (and kicks its senders, inline here).
    assert unplanned.sweep(now=timezone.now() + unplanned.PLAN_AFTER + timedelta(seconds=1)) == 1
    (delivered,) = receiver.wait_for(1)
    assert delivered.json()["id"] == body["id"]
    assert sweep_deliveries() == 0
    assert len(receiver.requests) == 1


def test_a_sync_rule_is_still_sent_when_queueing_its_sibling_fails(
    live_server, admin_user_obj, receiver: Receiver
) -> None:
    rule_to(receiver, model="sale.order", event="write", dispatch_mode=DispatchMode.SYNC)
    rule_to(receiver, model="sale.order", event="write")
    token = Token.objects.create(user=admin_user_obj).key
    emit = {"model": "sale.order", "event": "write", "record_id": 7, "data": {"id": 7}}
    with broker_down():
        status, body = post_json(
            f"{live_server.url}/api/emit/", emit, {"Authorization": f"Token {token}"}
        )
        assert (status, body["deliveries"]) == (202, 2)
        assert len(receiver.wait_for(1)) == 1  # the sync rule went out inline
    assert sweep_deliveries() == 1
    assert len(receiver.wait_for(2)) == 2
    assert set(WebhookLog.objects.values_list("status", flat=True)) == {LogStatus.SUCCESS}


def test_an_inbound_webhook_answers_202_while_the_broker_is_down_and_the_sweep_runs_it(
    live_server, receiver: Receiver
) -> None:
    rule_to(receiver, model="shop.order", event="order.paid")
    source = InboundSource.objects.create(
        name="shop",
        verification="none",
        handler="emit_event",
        handler_config={"model": "shop.order", "event": "order.paid", "record_id_path": "id"},
    )
    with broker_down():
        status, body = post_json(f"{live_server.url}{source.path}", {"id": 17}, {})
    assert (status, body["status"]) == (202, "accepted")
    row = IncomingWebhook.objects.get(pk=body["id"])
    assert row.state == "received"

    # The sweep takes "received" rows whose task never ran (queued over 5 minutes ago).
    IncomingWebhook.objects.filter(pk=row.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    assert processing.sweep()["lost"] == 1
    (delivered,) = receiver.wait_for(1)
    assert delivered.json()["record_id"] == 17
    row.refresh_from_db()
    assert row.state == "done"
    assert processing.sweep()["lost"] == 0
    assert len(receiver.requests) == 1


def test_an_xmlrpc_push_succeeds_while_the_broker_is_down_and_the_sweep_sends_it_later(
    live_server,
    odoo_conn: Any,  # noqa: F811  (the fixture imported above)
    receiver: Receiver,
) -> None:
    rule_to(receiver, model="res.partner", event="create")
    token = state.issue_push_token(connection_id=odoo_conn.pk)
    proxy = xmlrpc.client.ServerProxy(f"{live_server.url}/odoo/xmlrpc")
    records = [{"id": 5, "values": {"name": "Azure"}}, {"id": 6, "values": {"name": "Deco"}}]
    with broker_down():
        ids = proxy.push(token, "res.partner", "create", records)
    assert sorted(ids) == sorted(str(e.event_id) for e in EventHistory.objects.all())
    assert WebhookLog.objects.filter(status=LogStatus.PENDING).count() == 2
    assert receiver.requests == []

    assert sweep_deliveries() == 2
    delivered = receiver.wait_for(2)
    assert sorted(r.json()["record_id"] for r in delivered) == [5, 6]
    assert sweep_deliveries() == 0
    assert len(receiver.requests) == 2


def test_enqueue_logs_one_line_and_returns_none_while_the_broker_is_down(caplog) -> None:
    with broker_down(), caplog.at_level("WARNING", logger="hub.lib.queue"):
        assert queue.enqueue("delivery.tasks.deliver", [1]) is None
    (record,) = caplog.records
    assert record.getMessage().startswith("task delivery.tasks.deliver not queued (broker")


def test_a_manual_poll_answers_503_when_nothing_could_be_queued(
    api,
    odoo_conn: Any,  # noqa: F811  (the fixture imported above)
) -> None:
    with broker_down():
        response = api.post(f"/api/connections/{odoo_conn.pk}/poll/")
    assert (response.status_code, response.json()["queued"]) == (503, False)
    assert api.post(f"/api/connections/{odoo_conn.pk}/poll/").status_code == 202
