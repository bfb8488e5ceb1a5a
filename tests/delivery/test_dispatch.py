"""Recording an event writes its deliveries in the same transaction and sends them after commit."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django_q.models import Task
from standardwebhooks import Webhook

from delivery.models import LogStatus, WebhookLog, WebhookRetry
from hub.crypto import generate_signing_secret
from hub.events import NewEvent, record_events
from hub.models import EventHistory
from rules.models import PayloadField
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db


def test_a_matching_event_is_delivered_and_logged(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()
    (req,) = receiver.wait_for(1)
    body = req.json()
    assert body["id"] == str(event.event_id)
    assert (body["type"], body["record_id"], body["source"]) == ("res.partner.write", 42, "api")
    assert body["changes"] == {"email": {"before": "a@example.com", "after": "b@example.com"}}
    log = WebhookLog.objects.get()
    assert (log.status, log.response_status, log.attempt, log.rule, log.event) == (
        LogStatus.SUCCESS,
        200,
        1,
        rule,
        event,
    )
    assert log.delivery_id == req.header("webhook-id") == req.header("X-Webhook-Id")
    assert log.request_body.encode() == req.body
    assert log.sent_at is not None and log.duration_ms is not None
    event.refresh_from_db()
    assert (event.rules_triggered, event.success_count, event.failure_count) == (1, 1, 0)
    assert not WebhookRetry.objects.exists()


def test_an_event_no_rule_matches_creates_no_delivery(receiver: Receiver) -> None:
    make_rule(url=receiver.url_for(), model="sale.order")
    event = emit()
    assert event.rules_triggered == 0
    assert not WebhookLog.objects.exists()


def test_one_pending_log_per_rule_is_written_with_the_event(receiver: Receiver) -> None:
    # on_commit callbacks do not run here: this is the state the transaction commits.
    make_rule(url=receiver.url_for("/a"))
    make_rule(url=receiver.url_for("/b"))
    event = emit()
    logs = WebhookLog.objects.filter(event=event)
    assert event.rules_triggered == 2
    assert [log.status for log in logs] == [LogStatus.PENDING, LogStatus.PENDING]
    assert len({log.delivery_id for log in logs}) == 2
    assert receiver.requests == []


def test_the_signatures_verify_with_standard_webhooks_for_both_rotating_secrets(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    old, new = generate_signing_secret(), generate_signing_secret()
    make_rule(url=receiver.url_for(), secret=f"{old}\n{new}")
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    (req,) = receiver.wait_for(1)
    for secret in (old, new):
        assert Webhook(secret).verify(req.body, req.headers)["record_id"] == 42
    assert len(req.header("X-Webhook-Signature").split(",")) == 2


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_send_identifiers_in_the_query_string_and_no_body(
    receiver: Receiver, django_capture_on_commit_callbacks, method: str
) -> None:
    secret = generate_signing_secret()
    make_rule(url=receiver.url_for("/h?tenant=7"), http_method=method, secret=secret)
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()
    (req,) = receiver.wait_for(1)
    assert (req.method, req.body) == (method, b"")
    assert {k: v[0] for k, v in req.query.items()} == {
        "tenant": "7",
        "id": str(event.event_id),
        "type": "res.partner.write",
        "model": "res.partner",
        "record_id": "42",
    }
    Webhook(secret).verify(b"", req.headers, json_parse=False)


def test_stored_request_headers_are_redacted(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(
        url=receiver.url_for(),
        auth_type="bearer",
        auth_token="s3cr3t-token",
        headers={"X-Tenant": "acme", "X-Api-Token": "hidden"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    (req,) = receiver.wait_for(1)
    assert req.header("Authorization") == "Bearer s3cr3t-token"
    stored = WebhookLog.objects.get().request_headers
    assert stored["Authorization"] == stored["X-Api-Token"] == "***"
    assert stored["webhook-signature"] == stored["X-Webhook-Signature"] == "***"
    assert stored["X-Tenant"] == "acme"
    assert "s3cr3t" not in str(stored)


def test_test_mode_builds_signs_and_logs_without_sending(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for(), test_mode=True)
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()
    log = WebhookLog.objects.get()
    assert log.status == LogStatus.TEST
    assert log.request_headers["webhook-signature"] == "***"
    assert log.request_headers["webhook-id"] == log.delivery_id
    assert '"record_id":42' in log.request_body
    assert log.sent_at is None
    assert receiver.requests == []
    assert event.rules_triggered == 1


def test_a_payload_that_cannot_be_built_fails_that_delivery_only(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    broken = make_rule(url=receiver.url_for("/broken"))
    PayloadField.objects.create(rule=broken, source_path="name", transform="int")
    make_rule(url=receiver.url_for("/fine"))
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()
    assert [r.path for r in receiver.wait_for(1)] == ["/fine"]
    failed = WebhookLog.objects.get(rule=broken)
    assert failed.status == LogStatus.FAILED
    assert "payload could not be built" in failed.error
    event.refresh_from_db()
    assert (event.success_count, event.failure_count) == (1, 1)


def test_many_events_are_recorded_in_one_call_and_delivered_in_chunks(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for())
    news = [NewEvent(model="res.partner", event_code="write", record_id=i) for i in range(120)]
    with django_capture_on_commit_callbacks(execute=True):
        events = record_events(news)
    assert len(receiver.wait_for(120)) == 120
    assert WebhookLog.objects.filter(status=LogStatus.SUCCESS).count() == 120
    assert len({e.pk for e in events}) == 120
    # ids travel in chunks: 120 deliveries took 3 queue tasks, not 120
    assert Task.objects.filter(func="delivery.tasks.deliver").count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(receiver: Receiver) -> None:
    make_rule(url=receiver.url_for("/async"))
    make_rule(url=receiver.url_for("/sync"), dispatch_mode="sync")
    with pytest.raises(RuntimeError), transaction.atomic():
        emit()
        raise RuntimeError("the caller's change failed")
    time.sleep(0.2)  # a wrongly sent request would have arrived by now (sync queue: inline)
    assert receiver.requests == []
    assert not EventHistory.objects.exists()
    assert not WebhookLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_sync_rule_is_sent_before_record_event_returns_without_the_queue(
    receiver: Receiver,
) -> None:
    make_rule(url=receiver.url_for(), dispatch_mode="sync")
    emit()
    assert len(receiver.requests) == 1  # no waiting: it went out inside the call
    assert WebhookLog.objects.get().status == LogStatus.SUCCESS
    assert not Task.objects.filter(func="delivery.tasks.deliver").exists()


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_a_sync_rule_waits_for_the_outer_commit(
    receiver: Receiver,
) -> None:
    make_rule(url=receiver.url_for(), dispatch_mode="sync")
    with transaction.atomic():
        emit()
        assert receiver.requests == []
    assert len(receiver.requests) == 1
