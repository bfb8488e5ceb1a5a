"""Sweeps and claims: lost tasks are re-sent, nothing is sent twice, sweeps claim disjoint rows."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from delivery import lanes, retries, sending, sweeps
from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry, new_delivery_id
from delivery.sending import deliver
from hub.lib.http import HttpResult, Outcome
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db
JOIN_TIMEOUT = 20.0


def test_the_lost_task_sweep_resends_a_delivery_whose_task_never_ran(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for())
    emit()  # committed, but the queue hand-off (on_commit) never happens: a simulated crash
    log = WebhookLog.objects.get()
    assert log.status == LogStatus.PENDING
    assert sweeps.lost_task_sweep() == 0  # too young to be lost: its task may still come
    later = timezone.now() + sweeps.LOST_AFTER + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.lost_task_sweep(now=later) == 1
    assert len(receiver.wait_for(1)) == 1
    log.refresh_from_db()
    assert log.status == LogStatus.SUCCESS
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.lost_task_sweep(now=later) == 0
    assert len(receiver.requests) == 1


def test_a_claim_abandoned_by_a_killed_worker_is_resent_once_stale(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for())
    emit()
    log = WebhookLog.objects.get()
    claimed = timezone.now() - lanes.lease() - timedelta(seconds=1)
    WebhookLog.objects.filter(pk=log.pk).update(claimed_at=claimed)  # then the worker died
    assert sweeps.lost_logs(now=claimed + lanes.lease() / 2) == []  # was still in flight
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.lost_task_sweep() == 1
    assert len(receiver.wait_for(1)) == 1


def test_the_same_log_handed_out_twice_is_sent_once(receiver: Receiver) -> None:
    make_rule(url=receiver.url_for())
    emit()
    ids = list(WebhookLog.objects.values_list("id", flat=True))
    assert deliver(ids) == 1
    assert deliver(ids) == 0
    assert len(receiver.requests) == 1


def test_a_stale_worker_cannot_overwrite_a_newer_attempt(receiver: Receiver) -> None:
    make_rule(url=receiver.url_for())
    emit()
    log = WebhookLog.objects.get()
    old_token = sending.claim(log)
    newer = sending.claim(log, now=timezone.now() + lanes.lease() + timedelta(seconds=1))
    assert newer is not None
    late = HttpResult(Outcome.SUCCESS, status=200)
    assert not sending.finish(log, token=old_token, result=late, request_headers={})
    assert WebhookLog.objects.get().status == LogStatus.PENDING


def due_retries(rule, count: int) -> list[WebhookRetry]:
    """`count` deliveries that failed once and are due now."""
    past = timezone.now() - timedelta(seconds=5)
    out = []
    for _ in range(count):
        delivery_id = new_delivery_id()
        retry = WebhookRetry.objects.create(
            delivery_id=delivery_id, rule=rule, attempts=1, next_retry_at=past
        )
        WebhookLog.objects.create(
            delivery_id=delivery_id,
            rule=rule,
            retry=retry,
            url=rule.url,
            request_body="{}",
            status=LogStatus.FAILED,
            attempt=1,
        )
        out.append(retry)
    return out


needs_skip_locked = pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="SKIP LOCKED needs PostgreSQL; SQLite serialises writers (IMMEDIATE transactions)",
)


def _in_thread(target, results: list, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        except Exception as exc:  # reported by the test, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run, daemon=True)


@needs_skip_locked
@pytest.mark.django_db(transaction=True)
def test_concurrent_retry_sweeps_claim_disjoint_retries(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for())
    due_retries(rule, 40)
    barrier = threading.Barrier(4, timeout=JOIN_TIMEOUT)

    def sweep() -> list[int]:
        barrier.wait()
        return retries.claim_due(limit=10)

    results: list[list[int]] = []
    errors: list[Exception] = []
    threads = [_in_thread(sweep, results, errors) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert errors == []
    claimed = [log_id for ids in results for log_id in ids] + retries.claim_due()
    attempts = WebhookLog.objects.filter(pk__in=claimed)
    delivery_ids = [log.delivery_id for log in attempts]
    assert len(delivery_ids) == len(set(delivery_ids)) == 40  # each retry claimed exactly once
    assert WebhookLog.objects.filter(attempt=2).count() == 40
    assert len({r.header("webhook-id") for r in receiver.wait_for(40)}) == 40


@needs_skip_locked
@pytest.mark.django_db(transaction=True)
def test_a_sweep_skips_retries_locked_by_another_sweep_instead_of_waiting(
    receiver: Receiver,
) -> None:
    rule = make_rule(url=receiver.url_for())
    entries = due_retries(rule, 6)
    locked_ids = {e.pk for e in entries[:3]}
    holding, release = threading.Event(), threading.Event()

    def hold_locks() -> None:
        with transaction.atomic():
            list(WebhookRetry.objects.select_for_update().filter(pk__in=locked_ids))
            holding.set()
            release.wait(JOIN_TIMEOUT)

    results: list[list[int]] = []
    errors: list[Exception] = []
    holder = _in_thread(hold_locks, [], errors)
    holder.start()
    assert holding.wait(JOIN_TIMEOUT)
    sweeper = _in_thread(retries.claim_due, results, errors)
    sweeper.start()
    sweeper.join(JOIN_TIMEOUT)
    finished_while_locked = not sweeper.is_alive()
    release.set()
    holder.join(JOIN_TIMEOUT)
    assert errors == []
    assert finished_while_locked
    claimed_retries = set(
        WebhookLog.objects.filter(pk__in=results[0]).values_list("retry_id", flat=True)
    )
    assert claimed_retries == {e.pk for e in entries[3:]}
    assert (
        set(WebhookRetry.objects.filter(state=RetryState.PENDING).values_list("id", flat=True))
        == locked_ids
    )
