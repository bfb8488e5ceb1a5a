"""Each handler end to end: a signed request in, the Odoo record or hub event out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone

from hub.models import EventHistory, OdooConnection
from inbound import processing
from inbound.models import InboundSource, IncomingWebhook
from tests.fakes.odoo import HUB_UID, FakeOdoo
from tests.fakes.receiver import Receiver
from tests.inbound.conftest import post_signed

pytestmark = pytest.mark.django_db

UPSERT = {
    "model": "res.partner",
    "match": {"field": "email", "path": "customer.email", "transform": "lower"},
    "mapping": {"name": "customer.name", "phone": {"path": "customer.phone", "default": ""}},
}


def _customer(email: str, name: str, **more: str) -> dict:
    return {"type": "customer.updated", "customer": {"email": email, "name": name, **more}}


def _row(response: Any) -> IncomingWebhook:
    return IncomingWebhook.objects.get(pk=int(response.json()["id"]))


@pytest.fixture
def deliver(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., Any]:
    """Post a signed request and run what the queue would run after the commit."""

    def send(source: InboundSource, payload: Any, **kw: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return post_signed(client, source, payload, **kw)

    return send


def test_upsert_creates_then_updates_and_a_redelivery_changes_nothing(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
) -> None:
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)

    first = deliver(source, _customer("Ann@Example.com", "Ann", phone="555"), msg_id="m1")
    assert first.status_code == 202
    created = _row(first)
    assert created.state == "done", created.error
    partner_id = created.result["id"]
    assert created.result == {"model": "res.partner", "id": partner_id, "action": "created"}
    record = fake_odoo.record("res.partner", partner_id)
    assert (record["name"], record["email"], record["phone"]) == ("Ann", "ann@example.com", "555")

    # A new webhook about the same customer: the record is updated, not created again.
    second = deliver(source, _customer("ann@example.com", "Ann Lee"), msg_id="m2")
    updated = _row(second)
    assert updated.result == {"model": "res.partner", "id": partner_id, "action": "updated"}
    assert fake_odoo.record("res.partner", partner_id)["name"] == "Ann Lee"

    calls = len(fake_odoo.calls)
    again = deliver(source, _customer("ann@example.com", "Ann Lee"), msg_id="m2")
    assert again.json() == {"id": str(updated.pk), "status": "duplicate"}
    assert len(fake_odoo.calls) == calls  # the redelivery never reached Odoo
    assert fake_odoo.count("create", model="res.partner") == 1
    partners = fake_odoo.store.search("res.partner", [("email", "=", "ann@example.com")])
    assert partners == [partner_id]


def test_upsert_writes_as_the_hubs_own_odoo_user_so_the_poller_can_ignore_its_echo(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
) -> None:
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)
    row = _row(deliver(source, _customer("echo@example.com", "Echo")))
    record = fake_odoo.record("res.partner", row.result["id"])
    # echo_suppression="same_user" skips changes whose write_uid is the connection's user.
    assert record["write_uid"][0] == HUB_UID


def test_upsert_matches_an_archived_record_instead_of_creating_a_twin(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
) -> None:
    archived = fake_odoo.create(
        "res.partner", {"name": "Old", "email": "old@example.com", "active": False}
    )
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)
    row = _row(deliver(source, _customer("old@example.com", "Old but back")))
    assert row.result == {"model": "res.partner", "id": archived, "action": "updated"}


def test_upsert_without_create_if_missing_skips_unknown_records(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
) -> None:
    config = {**UPSERT, "create_if_missing": False}
    source = make_source(handler="odoo_upsert", handler_config=config, connection=odoo_conn)
    row = _row(deliver(source, _customer("nobody@example.com", "Nobody")))
    assert (row.state, row.result["action"]) == ("done", "skipped")
    assert fake_odoo.count("create", model="res.partner") == 0


def test_a_mapping_error_fails_the_request_without_retrying(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
) -> None:
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)
    row = _row(deliver(source, {"type": "customer.updated", "customer": {"name": "No email"}}))
    assert row.state == "failed"
    assert "no usable match value" in row.error
    assert row.next_retry_at is None


def test_odoo_down_is_retried_with_backoff_then_succeeds(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)
    fake_odoo.set_down("500")
    row = _row(deliver(source, _customer("later@example.com", "Later")))
    assert row.state == "failed"
    assert "OdooUnavailable" in row.error
    assert row.attempts == 1
    assert row.next_retry_at > timezone.now() + timedelta(seconds=30)  # initial 60 s ± 20 %

    fake_odoo.set_up()
    with django_capture_on_commit_callbacks(execute=True):
        assert processing.sweep()["retried"] == 0  # not due yet
    IncomingWebhook.objects.filter(pk=row.pk).update(next_retry_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert processing.sweep()["retried"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.result["action"]) == ("done", 2, "created")
    assert row.error == ""


@override_settings(HUB_INBOUND_RETRY_MAX_ATTEMPTS=1)
def test_a_transient_failure_stops_retrying_after_the_last_attempt(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
) -> None:
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)
    fake_odoo.set_down("500")
    row = _row(deliver(source, _customer("never@example.com", "Never")))
    assert (row.state, row.next_retry_at) == ("failed", None)


def test_odoo_native_records_a_hub_event_for_the_notified_record(
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source(
        verification="none",
        handler="odoo_native",
        handler_config={"actions": {"Order confirmed": "sale.order.confirmed"}},
    )
    # What Odoo 17's "Send Webhook Notification" posts: sorted keys, many2one as a bare id.
    body = json.dumps(
        {
            "_action": "Order confirmed(#12)",
            "_id": 7,
            "_model": "sale.order",
            "amount_total": 99.5,
            "id": 7,
            "name": "S00007",
            "partner_id": 3,
            "state": "sale",
        },
        sort_keys=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(source.path, data=body, content_type="application/json")
    assert response.status_code == 202
    row = _row(response)
    assert row.verification_status == "not_required"
    event = EventHistory.objects.get()
    assert (event.model, event.record_id, event.event_code) == (
        "sale.order",
        7,
        "sale.order.confirmed",
    )
    assert event.data == {
        "amount_total": 99.5,
        "id": 7,
        "name": "S00007",
        "partner_id": 3,
        "state": "sale",
    }
    assert event.source == f"inbound:source-{source.pk}"  # never the secret slug
    assert row.result["event_id"] == str(event.event_id)


def test_odoo_native_falls_back_to_the_configured_event_code(
    client: Client, make_source: Callable[..., InboundSource], deliver: Callable[..., Any]
) -> None:
    source = make_source(handler="odoo_native", handler_config={"event": "write"})
    row = _row(deliver(source, {"_model": "res.partner", "_id": 5, "_action": "Sync(#3)"}))
    assert row.state == "done"
    assert EventHistory.objects.get().event_code == "write"


def test_odoo_native_refuses_a_body_that_is_not_an_odoo_notification(
    make_source: Callable[..., InboundSource], deliver: Callable[..., Any]
) -> None:
    source = make_source(handler="odoo_native")
    row = _row(deliver(source, {"hello": "world"}))
    assert row.state == "failed"
    assert "_model" in row.error
    assert EventHistory.objects.count() == 0


def test_emit_event_takes_model_event_id_and_data_from_json_paths(
    make_source: Callable[..., InboundSource], deliver: Callable[..., Any]
) -> None:
    source = make_source(
        handler="emit_event",
        handler_config={
            "model": "shop.order",
            "event_path": "type",
            "record_id_path": "order.id",
            "data": {"total": "order.total", "currency": "order.currency"},
        },
    )
    row = _row(deliver(source, {"type": "order.paid", "order": {"id": "17", "total": 12.5}}))
    event = EventHistory.objects.get()
    assert (event.model, event.event_code, event.record_id) == ("shop.order", "order.paid", 17)
    assert event.data == {"total": 12.5, "currency": None}
    assert event.source == f"inbound:{source.slug}"
    assert row.result["event_id"] == str(event.event_id)


@pytest.mark.django_db(transaction=True)
def test_emit_event_fans_out_through_an_outbound_rule_to_a_real_receiver(
    client: Client, make_source: Callable[..., InboundSource], receiver: Receiver
) -> None:
    from rules.models import WebhookEvent, WebhookRule

    WebhookEvent.objects.create(code="order.paid", name="Order paid")
    rule = WebhookRule.objects.create(
        name="to the shop", model="shop.order", url=receiver.url_for("/orders")
    )
    rule.events.set(WebhookEvent.objects.filter(code="order.paid"))
    source = make_source(
        handler="emit_event",
        handler_config={"model": "shop.order", "event": "order.paid", "record_id_path": "order.id"},
    )
    response = post_signed(client, source, {"order": {"id": 17, "total": 12.5}})
    assert response.status_code == 202

    (delivered,) = receiver.wait_for(1)
    assert delivered.path == "/orders"
    assert delivered.header("X-Webhook-Event") == "shop.order.order.paid"
    body = delivered.json()
    assert (body["model"], body["event"], body["record_id"]) == ("shop.order", "order.paid", 17)
    assert body["source"] == f"inbound:{source.slug}"
    assert _row(response).state == "done"


@override_settings(HUB_INBOUND_HANDLERS=["tests.inbound.sample_handlers.tag_payment"])
def test_a_listed_python_handler_runs_with_its_options(
    make_source: Callable[..., InboundSource], deliver: Callable[..., Any]
) -> None:
    source = make_source(
        handler="python",
        handler_config={
            "path": "tests.inbound.sample_handlers.tag_payment",
            "options": {"label": "eu"},
        },
    )
    row = _row(deliver(source, {"amount": 30}))
    assert row.state == "done", row.error
    assert row.result["amount"] == 30
    assert row.result["label"] == "eu"
    assert EventHistory.objects.get(model="payment").data == {"amount": 30}


@override_settings(HUB_INBOUND_HANDLERS=["tests.inbound.sample_handlers.tag_payment"])
def test_a_python_handler_that_is_not_listed_is_refused_at_configuration_time(
    make_source: Callable[..., InboundSource],
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_source(
            handler="python",
            handler_config={"path": "tests.inbound.sample_handlers.not_listed"},
        )
    assert "HUB_INBOUND_HANDLERS" in str(caught.value)
    with pytest.raises(ValidationError):
        make_source(handler="python", handler_config={"path": "os.system"})


def test_a_python_handler_delisted_after_saving_is_refused_at_run_time(
    make_source: Callable[..., InboundSource], deliver: Callable[..., Any]
) -> None:
    with override_settings(HUB_INBOUND_HANDLERS=["tests.inbound.sample_handlers.not_listed"]):
        source = make_source(
            handler="python", handler_config={"path": "tests.inbound.sample_handlers.not_listed"}
        )
    row = _row(deliver(source, {"amount": 1}))
    assert row.state == "failed"
    assert "not listed" in row.error


@pytest.mark.parametrize(
    ("handler", "config", "field"),
    [
        ("emit_event", {"event": "x"}, "handler_config"),
        ("emit_event", {"model": "a.b", "event": "x", "data": ["nope"]}, "handler_config"),
        ("odoo_upsert", {"model": "res.partner", "match": {"field": "email"}}, "handler_config"),
        (
            "odoo_upsert",
            {
                "model": "res.partner",
                "match": {"field": "email", "path": "e"},
                "mapping": {"name": {"path": "n", "transform": "no_such_transform"}},
            },
            "handler_config",
        ),
        (
            "odoo_upsert",
            {"model": "res.partner", "match": {"field": "x", "path": "x"}},
            "connection",
        ),
        ("odoo_native", {"actions": "not an object"}, "handler_config"),
        ("store", ["not", "an", "object"], "handler_config"),
    ],
)
def test_a_bad_handler_config_is_refused_when_saving(
    make_source: Callable[..., InboundSource], handler: str, config: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_source(handler=handler, handler_config=config)
    assert field in caught.value.message_dict


def test_a_request_whose_task_was_lost_is_run_by_the_sweep(
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source()
    with django_capture_on_commit_callbacks(execute=False):  # the broker "loses" the task
        row = _row(post_signed(client, source, {"a": 1}))
    IncomingWebhook.objects.filter(pk=row.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert processing.sweep()["lost"] == 1
    row.refresh_from_db()
    assert row.state == "done"


def test_a_request_left_processing_by_a_dead_worker_is_run_again(
    client: Client,
    make_source: Callable[..., InboundSource],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    source = make_source()
    with django_capture_on_commit_callbacks(execute=False):
        row = _row(post_signed(client, source, {"a": 1}))
    IncomingWebhook.objects.filter(pk=row.pk).update(
        state="processing", claimed_at=timezone.now() - timedelta(hours=1), attempts=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert processing.sweep()["dead"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("done", 2)


def test_a_task_for_a_request_already_claimed_does_nothing(
    client: Client, make_source: Callable[..., InboundSource], deliver: Callable[..., Any]
) -> None:
    source = make_source()
    row = _row(deliver(source, {"a": 1}))
    assert processing.process_incoming(incoming_id=row.pk) == "not claimable"
    row.refresh_from_db()
    assert row.attempts == 1


def test_a_worker_that_lost_its_claim_undoes_its_event(
    client: Client, make_source: Callable[..., InboundSource], monkeypatch: pytest.MonkeyPatch
) -> None:
    from inbound.handlers import emit_event

    source = make_source(handler="emit_event", handler_config={"model": "a.b", "event": "x"})
    row = _row(post_signed(client, source, {"a": 1}))  # stored; its task not run yet
    real = emit_event.handle

    def slow_handle(ctx: Any) -> Any:
        result = real(ctx)
        # Meanwhile the sweep decided this worker was dead and handed the request on.
        IncomingWebhook.objects.filter(pk=row.pk).update(claimed_at=timezone.now())
        return result

    monkeypatch.setattr(emit_event, "handle", slow_handle)
    outcome = processing.process_incoming(incoming_id=row.pk)
    assert "LostClaim" in outcome
    assert EventHistory.objects.count() == 0


def test_the_pollers_loop_suppression_keeps_an_upsert_from_echoing_back_out(
    make_source: Callable[..., InboundSource],
    odoo_conn: OdooConnection,
    fake_odoo: FakeOdoo,
    deliver: Callable[..., Any],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from hub.models import ModelHook
    from hub.odoo.client import OdooClient
    from hub.odoo.poller import poll_hook

    hook = ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", events=["create", "write"]
    )

    def poll() -> None:
        hook.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            with OdooClient.for_connection(odoo_conn) as odoo:
                poll_hook(hook=hook, client=odoo)

    poll()  # baseline
    source = make_source(handler="odoo_upsert", handler_config=UPSERT, connection=odoo_conn)
    upserted = _row(deliver(source, _customer("loop@example.com", "Loop"))).result["id"]
    by_a_person = fake_odoo.create("res.partner", {"name": "Typed in Odoo"})
    poll()
    recorded = set(
        EventHistory.objects.filter(model="res.partner").values_list("record_id", flat=True)
    )
    assert recorded == {by_a_person}
    assert upserted not in recorded
