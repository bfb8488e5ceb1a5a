"""A following sender in a real queue worker: it starts due retries itself, and goes on past
its claiming budget only while no other task waits for a worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import sender
from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry
from tests.factories import make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db


def worker_pump() -> sender._Pump:
    run = sender._Pump(None, follow=True)
    run.worker = True  # what a follower outside the tests' sync queue is
    return run


def test_a_following_sender_starts_a_due_retry_without_waiting_for_the_sweep(
    receiver: Receiver, send
) -> None:
    make_rule(url=receiver.url_for())
    receiver.script(500, 200)
    send()
    retry = WebhookRetry.objects.get()
    run = worker_pump()
    run._start_due_retries(0.0)
    assert WebhookLog.objects.filter(status=LogStatus.PENDING).count() == 0  # not due yet
    WebhookRetry.objects.update(next_retry_at=timezone.now() - timedelta(seconds=1))
    run._start_due_retries(0.5)  # looks once a second: not again yet
    assert WebhookLog.objects.filter(status=LogStatus.PENDING).count() == 0
    run._start_due_retries(sender.DUE_EVERY)
    retry.refresh_from_db()
    attempt = WebhookLog.objects.get(status=LogStatus.PENDING)
    assert (retry.state, attempt.attempt, attempt.delivery_id) == (
        RetryState.RETRYING,
        2,
        retry.delivery_id,
    )


def test_a_following_sender_goes_on_past_its_budget_only_while_no_task_waits(
    monkeypatch,
) -> None:
    waiting = [False]
    monkeypatch.setattr(sender, "_tasks_waiting", lambda: waiting[0])
    run = worker_pump()
    run.budget = 0.0
    assert not run._out_of_time()  # nothing queued: another budget
    assert run.budget >= sender.PUMP_BUDGET
    run.budget = 0.0
    waiting[0] = True
    assert not run._out_of_time()  # a task waits: another worker may take it in a moment
    assert run.budget <= sender.WAITING_GRACE + 1
    run.budget = 0.0
    assert run._out_of_time()  # still waiting after the grace: stop claiming
    waiting[0] = False
    assert run._out_of_time()  # and stay stopped
    inline = sender._Pump(None, follow=False)
    inline.budget = 0.0
    assert inline._out_of_time()  # a sender that does not follow never extends
