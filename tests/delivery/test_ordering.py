"""Ordered rules: deliveries of one record leave in event order, even across retries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry
from delivery.ordering import PARKED
from delivery.retries import cancel
from tests.factories import make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db


def test_a_later_event_waits_while_an_earlier_one_of_the_record_is_retrying(
    receiver: Receiver, send, run_due_retries
) -> None:
    make_rule(url=receiver.url_for(), ordered=True)
    receiver.script(500)
    first = send(record_id=7, data={"step": 1})
    second = send(record_id=7, data={"step": 2})
    other = send(record_id=8, data={"step": "other record"})
    parked = WebhookLog.objects.get(event=second)
    assert (parked.status, parked.error) == (LogStatus.PENDING, PARKED)
    assert WebhookLog.objects.get(event=other).status == LogStatus.SUCCESS

    assert run_due_retries() == 1  # the first event's retry succeeds, then the second goes
    steps = [r.json()["data"]["step"] for r in receiver.wait_for(4)]
    assert steps == [1, "other record", 1, 2]
    assert WebhookLog.objects.get(event=second).status == LogStatus.SUCCESS
    assert WebhookRetry.objects.get(event=first).state == RetryState.SUCCEEDED


def test_a_dead_letter_no_longer_holds_the_line(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for(), ordered=True, max_retries=1)
    receiver.script(500)
    send(record_id=7, data={"step": 1})
    second = send(record_id=7, data={"step": 2})
    assert WebhookRetry.objects.get().state == RetryState.EXHAUSTED
    assert WebhookLog.objects.get(event=second).status == LogStatus.SUCCESS


def test_cancelling_the_blocking_retry_releases_the_next_delivery(
    receiver: Receiver, send, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for(), ordered=True)
    receiver.script(500)
    send(record_id=7, data={"step": 1})
    second = send(record_id=7, data={"step": 2})
    assert len(receiver.requests) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel(retry_ids=[WebhookRetry.objects.get().pk]) == 1
    assert [r.json()["data"]["step"] for r in receiver.wait_for(2)] == [1, 2]
    assert WebhookLog.objects.get(event=second).status == LogStatus.SUCCESS


def test_a_lost_hand_over_is_picked_up_by_the_next_sweep(receiver: Receiver, send) -> None:
    from delivery.sweeps import lost_task_sweep

    make_rule(url=receiver.url_for(), ordered=True)
    send(record_id=7, data={"step": 1})
    second = send(record_id=7, data={"step": 2})
    # The race: the younger log was parked just as the older one finished and found no one
    # to release. Its claim is fresh, so the stale-claim path would wait ten minutes.
    WebhookLog.objects.filter(event=second).update(
        status=LogStatus.PENDING, error=PARKED, claimed_at=timezone.now()
    )
    # Record 8: an older delivery still in flight holds the line of a parked younger one.
    in_flight = send(record_id=8, data={"step": "older"})
    blocked_too = send(record_id=8, data={"step": "blocked"})
    WebhookLog.objects.filter(event=in_flight).update(
        status=LogStatus.PENDING, claimed_at=timezone.now()
    )
    WebhookLog.objects.filter(event=blocked_too).update(
        status=LogStatus.PENDING, error=PARKED, claimed_at=timezone.now()
    )
    receiver.reset()

    assert lost_task_sweep() == 1
    (request,) = receiver.wait_for(1)
    assert request.json()["data"]["step"] == 2
    assert WebhookLog.objects.get(event=second).status == LogStatus.SUCCESS
    assert WebhookLog.objects.get(event=blocked_too).error == PARKED


def test_unordered_rules_do_not_wait(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(500)
    send(record_id=7)
    second = send(record_id=7)
    assert WebhookLog.objects.get(event=second).status == LogStatus.SUCCESS
