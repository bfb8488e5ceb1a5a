"""Outcome classes and retries as docs/contract.md states them, against the real receiver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from delivery import sweeps
from delivery.models import Lane, LogStatus, RetryState, WebhookLog, WebhookRetry
from delivery.retries import retry_now
from delivery.sending import deliver
from hub.events import NewEvent, record_events
from rules.models import WebhookRule
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db


def test_it_retries_on_500_until_a_200_with_the_same_webhook_id(
    receiver: Receiver, send, run_due_retries
) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(500, 500, 200)
    event = send()
    retry = WebhookRetry.objects.get()
    assert (retry.state, retry.attempts, retry.last_status) == (RetryState.PENDING, 1, 500)
    assert sweeps.retry_sweep() == 0  # not due yet: backoff is respected
    assert run_due_retries() == 1
    assert run_due_retries() == 1
    requests = receiver.wait_for(3)
    assert len({r.header("webhook-id") for r in requests}) == 1
    assert len({r.body for r in requests}) == 1  # the same payload on every attempt
    logs = WebhookLog.objects.order_by("attempt")
    assert [(log.attempt, log.status, log.response_status) for log in logs] == [
        (1, LogStatus.FAILED, 500),
        (2, LogStatus.FAILED, 500),
        (3, LogStatus.SUCCESS, 200),
    ]
    assert all(log.retry_id == retry.pk for log in logs)
    assert {log.delivery_id for log in logs} == {retry.delivery_id}
    retry.refresh_from_db()
    assert (retry.state, retry.attempts, retry.next_retry_at) == (RetryState.SUCCEEDED, 3, None)
    event.refresh_from_db()
    assert (event.success_count, event.failure_count) == (1, 0)
    assert run_due_retries() == 0


def test_the_first_retry_waits_the_initial_delay_with_jitter(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for(), retry_initial_delay=100)
    receiver.script(503)
    before = timezone.now()
    send()
    after = timezone.now()
    retry = WebhookRetry.objects.get()
    assert before + timedelta(seconds=80) <= retry.next_retry_at <= after + timedelta(seconds=120)


def test_it_does_not_retry_a_400(receiver: Receiver, send, run_due_retries) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(Reply(400, body=b'{"error": "bad"}'))
    event = send()
    log = WebhookLog.objects.get()
    assert (log.status, log.response_status, log.response_body) == (
        LogStatus.FAILED,
        400,
        '{"error": "bad"}',
    )
    # permanent failures are dead letters at once, so they can be re-sent by hand
    retry = WebhookRetry.objects.get()
    assert (retry.state, retry.next_retry_at) == (RetryState.EXHAUSTED, None)
    assert run_due_retries() == 0
    assert len(receiver.requests) == 1
    event.refresh_from_db()
    assert event.failure_count == 1


def test_a_410_fails_and_deactivates_the_rule_with_the_reason(
    receiver: Receiver, send, run_due_retries
) -> None:
    rule = make_rule(url=receiver.url_for())
    receiver.script(410)
    send()
    rule.refresh_from_db()
    assert not rule.active
    assert "410" in rule.deactivated_reason and rule.url in rule.deactivated_reason
    assert WebhookLog.objects.get().status == LogStatus.FAILED
    send()  # the rule no longer matches
    assert run_due_retries() == 0
    assert len(receiver.requests) == 1


def test_a_429_with_retry_after_holds_the_delivery_without_spending_an_attempt(
    receiver: Receiver, send, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for(), retry_initial_delay=60)
    receiver.script(Reply(429, headers={"Retry-After": "3600"}))
    before = timezone.now()
    send()
    log = WebhookLog.objects.get()
    assert (log.status, log.attempt, log.response_status) == (LogStatus.PENDING, 1, 429)
    assert "Retry-After" in log.error
    assert not WebhookRetry.objects.exists()  # no attempt spent, nothing to retry
    lane = Lane.objects.get(rule=rule)
    assert lane.slow_until >= before + timedelta(seconds=3600)
    assert sweeps.lost_logs(now=timezone.now() + sweeps.LOST_AFTER * 2) == []  # the lane waits
    Lane.objects.filter(rule=rule).update(slow_until=timezone.now())  # the hour has passed
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.lost_task_sweep(now=timezone.now() + sweeps.LOST_AFTER * 2)
    first, second = receiver.wait_for(2)
    assert first.header("webhook-id") == second.header("webhook-id")
    log.refresh_from_db()
    assert (log.status, log.attempt) == (LogStatus.SUCCESS, 1)


def test_retry_after_is_capped_by_the_rule_maximum_interval(receiver: Receiver, send) -> None:
    rule = make_rule(url=receiver.url_for(), retry_max_interval=600)
    receiver.script(Reply(503, headers={"Retry-After": "86400"}))
    send()
    assert Lane.objects.get(rule=rule).slow_until <= timezone.now() + timedelta(seconds=600)


def test_a_429_without_retry_after_is_an_ordinary_retry(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(429)
    send()
    assert WebhookLog.objects.get().status == LogStatus.FAILED
    assert WebhookRetry.objects.get().state == RetryState.PENDING


def test_a_slow_answer_past_the_timeout_is_retried(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for(), timeout=1)
    receiver.script(Reply(delay=2))
    send()
    log = WebhookLog.objects.get()
    assert (log.status, log.response_status) == (LogStatus.FAILED, None)
    assert "timeout" in log.error
    assert WebhookRetry.objects.get().state == RetryState.PENDING


def test_a_dropped_connection_is_retried(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(Reply(drop=True))
    send()
    log = WebhookLog.objects.get()
    assert (log.status, log.response_status) == (LogStatus.FAILED, None)
    assert "connection" in log.error
    assert WebhookRetry.objects.get().state == RetryState.PENDING


def test_a_redirect_is_not_followed_and_fails(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for("/old"))
    receiver.script(Reply(301, headers={"Location": "/new"}))
    send()
    log = WebhookLog.objects.get()
    assert (log.status, log.response_status) == (LogStatus.FAILED, 301)
    assert "/new" in log.error
    assert [r.path for r in receiver.requests] == ["/old"]
    assert WebhookRetry.objects.get().state == RetryState.EXHAUSTED


@override_settings(HUB_ALLOW_PRIVATE_TARGETS=False)
def test_a_private_target_is_refused_without_retry(
    receiver: Receiver, send, run_due_retries
) -> None:
    make_rule(url=receiver.url_for())
    send()
    log = WebhookLog.objects.get()
    assert log.status == LogStatus.FAILED
    assert "refused target 127.0.0.1" in log.error and "loopback" in log.error
    assert WebhookRetry.objects.get().state == RetryState.EXHAUSTED
    assert run_due_retries() == 0
    assert receiver.requests == []


def test_it_is_exhausted_after_max_attempts_then_retried_by_hand(
    receiver: Receiver, send, run_due_retries, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for(), max_retries=3)
    receiver.default = Reply(500)
    event = send()
    assert run_due_retries() == 1
    assert run_due_retries() == 1
    assert run_due_retries() == 0
    retry = WebhookRetry.objects.get()
    assert (retry.state, retry.attempts) == (RetryState.EXHAUSTED, 3)
    assert retry.exhausted_at is not None
    event.refresh_from_db()
    assert event.failure_count == 1

    receiver.default = Reply(200)
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_now(retry_ids=[retry.pk]) == 1
    retry.refresh_from_db()
    assert (retry.state, retry.attempts) == (RetryState.SUCCEEDED, 4)
    requests = receiver.wait_for(4)
    assert len({r.header("webhook-id") for r in requests}) == 1
    event.refresh_from_db()
    assert (event.success_count, event.failure_count) == (1, 0)


def test_a_delivery_for_an_inactive_rule_is_not_sent(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for())
    event = emit()  # queued; then the rule is switched off before the worker runs
    WebhookRule.objects.filter(pk=rule.pk).update(active=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(WebhookLog.objects.filter(event=event).values_list("id", flat=True))
    log = WebhookLog.objects.get()
    assert (log.status, log.error) == (LogStatus.FAILED, "not sent: the rule is inactive")
    assert receiver.requests == []


def test_after_a_410_the_rest_of_the_batch_is_not_sent(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for())
    receiver.script(410)
    news = [NewEvent(model="res.partner", event_code="write", record_id=i) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        record_events(news)
    assert len(receiver.requests) == 1
    statuses = list(WebhookLog.objects.order_by("id").values_list("status", "error"))
    assert statuses == [
        (LogStatus.FAILED, "HTTP 410"),
        (LogStatus.FAILED, "not sent: the rule is inactive"),
        (LogStatus.FAILED, "not sent: the rule is inactive"),
    ]
    rule.refresh_from_db()
    assert not rule.active
