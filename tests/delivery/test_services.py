"""Services used by the admin, the API and the other apps: send test, preview, retry, cancel."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from delivery import services
from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry
from delivery.retries import cancel, retry_now
from delivery.services import preview
from hub.crypto import generate_signing_secret
from hub.models import EventHistory
from rules.models import PayloadField, WebhookRule
from rules.planning import plan_one
from rules.samples import sample_event
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db


def send_test(*, rule: WebhookRule) -> WebhookLog:
    """What the "send test now" entry points do: a sample event, planned, sent now."""
    event = sample_event(rule=rule)
    return services.send_test(event=event, planned=plan_one(rule=rule, event=event))


def test_send_test_sends_a_sample_now_and_returns_its_log(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for(), model="sale.order")
    PayloadField.objects.create(rule=rule, source_path="partner_id.name", payload_key="customer")
    PayloadField.objects.create(rule=rule, source_path="amount_total", field_type="float")
    receiver.script(Reply(202, body=b'{"seen": true}'))
    log = send_test(rule=rule)
    (req,) = receiver.requests  # already sent: no waiting
    body = req.json()
    assert (body["type"], body["model"]) == ("sale.order.write", "sale.order")
    assert body["data"] == {"customer": "sample", "amount_total": 4.2}
    assert (log.status, log.response_status, log.response_body) == (
        LogStatus.SUCCESS,
        202,
        '{"seen": true}',
    )
    assert log.event is None
    assert not EventHistory.objects.exists()


def test_send_test_builds_sample_values_that_the_fields_transforms_accept(
    receiver: Receiver,
) -> None:
    rule = make_rule(url=receiver.url_for(), model="sale.order")
    add = PayloadField.objects.create
    add(rule=rule, source_path="amount_total", transform="round", transform_arg="1")
    add(rule=rule, source_path="qty", transform="int")
    add(rule=rule, source_path="date_order", transform="date_format", transform_arg="%d/%m/%Y")
    add(rule=rule, source_path="state", transform="value_map", transform_arg='{"sale": "SO"}')
    add(rule=rule, source_path="partner_id", transform="m2o_name", payload_key="customer")
    log = send_test(rule=rule)
    assert (log.status, log.error) == (LogStatus.SUCCESS, "")
    (req,) = receiver.requests
    assert req.json()["data"] == {
        "amount_total": 4.2,
        "qty": 42,
        "date_order": "31/01/2026",
        "state": "SO",
        "customer": "Sample",
    }


def test_a_failing_send_test_is_logged_but_not_retried(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for())
    receiver.script(503)
    log = send_test(rule=rule)
    assert (log.status, log.response_status) == (LogStatus.FAILED, 503)
    assert not WebhookRetry.objects.exists()


def test_send_test_on_a_rule_in_test_mode_logs_test_and_sends_nothing(receiver: Receiver) -> None:
    log = send_test(rule=make_rule(url=receiver.url_for(), test_mode=True))
    assert log.status == LogStatus.TEST
    assert receiver.requests == []


def test_preview_shows_the_signed_request_with_credentials_masked(receiver: Receiver) -> None:
    secret = generate_signing_secret()
    rule = make_rule(url=receiver.url_for(), secret=secret, auth_type="bearer", auth_token="tok")
    event = emit()
    shown = preview(event=event, planned=plan_one(rule=rule, event=event))
    assert (shown["method"], shown["url"]) == ("POST", rule.url)
    assert shown["headers"]["Authorization"] == "***"
    Webhook(secret).verify(shown["body"], shown["headers"])
    assert receiver.requests == []


def test_retry_now_attempts_a_waiting_retry_at_once(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(500)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    retry = WebhookRetry.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_now(retry_ids=[retry.pk]) == 1
    retry.refresh_from_db()
    assert retry.state == RetryState.SUCCEEDED
    assert len(receiver.requests) == 2


def test_cancel_stops_a_waiting_retry_and_counts_the_delivery_as_failed(
    receiver: Receiver, django_capture_on_commit_callbacks, run_due_retries
) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(500)
    with django_capture_on_commit_callbacks(execute=True):
        event = emit()
    retry = WebhookRetry.objects.get()
    assert cancel(retry_ids=[retry.pk]) == 1
    assert cancel(retry_ids=[retry.pk]) == 0
    retry.refresh_from_db()
    assert retry.state == RetryState.CANCELLED
    assert run_due_retries() == 0
    event.refresh_from_db()
    assert event.failure_count == 1
    assert WebhookLog.objects.count() == 1


def test_a_succeeded_delivery_cannot_be_retried_or_cancelled(
    receiver: Receiver, django_capture_on_commit_callbacks, run_due_retries
) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(500)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    run_due_retries()
    retry = WebhookRetry.objects.get(state=RetryState.SUCCEEDED)
    assert retry_now(retry_ids=[retry.pk]) == 0
    assert cancel(retry_ids=[retry.pk]) == 0
