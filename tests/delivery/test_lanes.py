"""Endpoint lanes: isolation, the in-flight cap, the breaker, rate limits, pause/resume, leases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery import lanes, presence, sender, sweeps
from delivery.models import BreakerState, Lane, LogStatus, RetryState, WebhookLog, WebhookRetry
from hub.events import NewEvent, record_events
from rules.models import WebhookRule
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db
JOIN_TIMEOUT = 30.0

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="several senders at once need PostgreSQL (SQLite serialises writers)",
)


def record(count: int) -> None:
    """`count` res.partner writes; their deliveries wait until a sender is run by the test.

    The lanes are paused while recording: in transactional tests the commit would otherwise
    send everything inline (the queue runs in sync mode) before the test's senders start."""
    rule_ids = list(WebhookRule.objects.values_list("pk", flat=True))
    lanes.pause(rule_ids=rule_ids)
    record_events(
        [NewEvent(model="res.partner", event_code="write", record_id=i) for i in range(count)]
    )
    Lane.objects.filter(rule_id__in=rule_ids).update(paused=False, paused_at=None)


def set_lane(rule: WebhookRule, **fields: object) -> None:
    Lane.objects.update_or_create(rule=rule, defaults=fields)


def in_threads(target: Callable[[], object], count: int) -> list[Exception]:
    """Run `target` in `count` threads at once (each with its own connection); their errors."""
    errors: list[Exception] = []
    barrier = threading.Barrier(count, timeout=JOIN_TIMEOUT)

    def run() -> None:
        try:
            barrier.wait()
            target()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_slow_endpoint_does_not_delay_another_endpoints_deliveries() -> None:
    with Receiver(default=Reply(delay=JOIN_TIMEOUT)) as slow, Receiver() as fast:
        make_rule(url=slow.url_for(), timeout=3)
        fast_rule = make_rule(url=fast.url_for())
        record(3)

        def pump_and_close() -> None:
            sender.pump()
            connection.close()  # this thread's own connection

        pump = threading.Thread(target=pump_and_close, daemon=True)
        pump.start()
        fast.wait_for(3)
        slow.wait_for(1)
        # Only the receivers are looked at while the sender runs (SQLite allows one writer).
        fast_done_while_slow_waits = slow.unanswered == 1 and len(fast.requests) == 3
        pump.join(JOIN_TIMEOUT)  # the slow attempt ends at its rule's 3-s timeout
    assert not pump.is_alive()
    assert fast_done_while_slow_waits
    assert WebhookLog.objects.filter(rule=fast_rule, status=LogStatus.SUCCESS).count() == 3


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_per_endpoint_in_flight_cap_holds_with_two_workers() -> None:
    with Receiver(default=Reply(delay=0.2)) as rx:
        rule = make_rule(url=rx.url_for())
        set_lane(rule, max_in_flight=3, last_attempt_at=timezone.now())
        record(24)
        errors = in_threads(lambda: sender.pump(follow=True), 2)
        received = rx.wait_for(24)
    assert errors == []
    assert rx.max_open <= 3
    assert rx.max_open == 3  # the cap was reached, not just respected by sending one at a time
    assert len({r.header("webhook-id") for r in received}) == len(received) == 24


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_no_attempt_is_ever_sent_twice_by_two_workers_at_once(receiver: Receiver) -> None:
    for _ in range(3):
        make_rule(url=receiver.url_for())
    record(100)
    errors = in_threads(lambda: sender.pump(follow=True), 3)
    assert errors == []
    received = receiver.wait_for(300)
    assert len({r.header("webhook-id") for r in received}) == len(received) == 300
    assert WebhookLog.objects.filter(status=LogStatus.SUCCESS).count() == 300


def test_the_breaker_opens_spends_no_attempts_while_open_then_probes_and_closes(
    receiver: Receiver, django_capture_on_commit_callbacks, run_due_retries
) -> None:
    rule = make_rule(url=receiver.url_for(), retry_initial_delay=1)
    set_lane(rule, max_in_flight=1, breaker_threshold=2, breaker_cooldown=30)
    receiver.default = Reply(500)
    record(4)
    sender.pump()
    assert len(receiver.requests) == 2  # two failures opened it: the other two wait
    lane = Lane.objects.get(rule=rule)
    assert lane.breaker_state == BreakerState.OPEN
    assert lane.open_until > timezone.now() + timedelta(seconds=20)
    assert "HTTP 500" in lane.last_error
    run_due_retries()  # the failed two are due again: their new attempts wait in the lane
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.lost_task_sweep(now=timezone.now() + sweeps.LOST_AFTER * 2)
    sender.pump()
    assert len(receiver.requests) == 2  # nothing sent, no attempt spent while open
    assert set(WebhookRetry.objects.values_list("attempts", flat=True)) == {1}
    assert WebhookLog.objects.filter(status=LogStatus.PENDING).count() == 4

    Lane.objects.filter(rule=rule).update(open_until=timezone.now())  # the cool-down is over
    probe = lanes.claim(token="probe", limit=10, now=timezone.now())
    assert len(probe.ids) == 1  # half-open: a single probe
    assert Lane.objects.get(rule=rule).breaker_state == BreakerState.HALF_OPEN
    WebhookLog.objects.filter(pk__in=probe.ids).update(claimed_at=None, claimed_by="")
    receiver.default = Reply(200)
    sender.pump()
    lane.refresh_from_db()
    assert (lane.breaker_state, lane.breaker_failures) == (BreakerState.CLOSED, 0)
    assert WebhookLog.objects.filter(status=LogStatus.PENDING).count() == 0
    assert set(WebhookRetry.objects.values_list("state", flat=True)) == {RetryState.SUCCEEDED}


def test_a_failed_probe_reopens_the_breaker_for_twice_as_long(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for())
    set_lane(rule, breaker_threshold=1, breaker_cooldown=30)
    receiver.default = Reply(503)
    record(2)
    sender.pump()
    Lane.objects.filter(rule=rule).update(open_until=timezone.now())
    before = timezone.now()
    sender.pump()
    lane = Lane.objects.get(rule=rule)
    assert len(receiver.requests) == 2  # one attempt, then one probe
    assert lane.breaker_state == BreakerState.OPEN
    assert lane.open_until >= before + timedelta(seconds=60)


def test_an_operator_can_close_a_breaker_by_hand(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for())
    later = timezone.now() + timedelta(minutes=5)
    set_lane(rule, breaker_state=BreakerState.OPEN, open_until=later)
    record(1)
    sender.pump()
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        assert lanes.close_breaker(rule_ids=[rule.pk]) == 1
    assert len(receiver.wait_for(1)) == 1
    assert Lane.objects.get(rule=rule).breaker_state == BreakerState.CLOSED


def _claims_at_one_instant(rule_id: int, now, tokens: list[int]) -> None:
    for _ in range(5):
        claim = lanes.claim(token=f"t{threading.get_ident()}", limit=10, now=now)
        tokens.append(len(claim.ids))
        WebhookLog.objects.filter(pk__in=claim.ids).update(status=LogStatus.SUCCESS)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_rate_limit_is_respected_across_two_workers(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for())
    set_lane(rule, rate_limit=3, last_attempt_at=timezone.now())
    record(40)
    now = timezone.now()
    claimed: list[int] = []
    errors = in_threads(lambda: _claims_at_one_instant(rule.pk, now, claimed), 2)
    assert errors == []
    assert sum(claimed) == 3  # one second's worth, however many senders ask at that instant
    later: list[int] = []
    _claims_at_one_instant(rule.pk, now + timedelta(seconds=2), later)
    assert 1 <= sum(later) <= 3  # it refills at the rate


def test_a_rate_limit_lets_one_seconds_worth_go_at_one_instant(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for())
    set_lane(rule, rate_limit=2, last_attempt_at=timezone.now())
    record(10)
    now = timezone.now()
    claimed: list[int] = []
    _claims_at_one_instant(rule.pk, now, claimed)  # one sender
    _claims_at_one_instant(rule.pk, now, claimed)  # and another, at the same instant
    assert sum(claimed) == 2


def test_pause_holds_new_deliveries_and_resume_sends_them_in_order(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for(), ordered=True)
    assert lanes.pause(rule_ids=[rule.pk]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("first", "second", "third"):
            emit(record_id=7, data={"id": 7, "name": name})
    sweeps.lost_task_sweep(now=timezone.now() + sweeps.LOST_AFTER * 2)
    assert receiver.requests == []
    assert lanes.held(rule.pk) == 3
    assert Lane.objects.get(rule=rule).paused_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert lanes.resume(rule_ids=[rule.pk]) == 1
    received = receiver.wait_for(3)
    assert [r.json()["data"]["name"] for r in received] == ["first", "second", "third"]
    assert lanes.held(rule.pk) == 0


def test_a_lane_set_to_pause_on_410_holds_the_delivery_instead_of_deactivating(
    receiver: Receiver, send
) -> None:
    rule = make_rule(url=receiver.url_for())
    set_lane(rule, on_gone="pause")
    receiver.script(410)
    send()
    rule.refresh_from_db()
    lane = Lane.objects.get(rule=rule)
    assert rule.active and lane.paused and "410" in lane.paused_reason
    log = WebhookLog.objects.get()
    assert (log.status, log.response_status) == (LogStatus.PENDING, 410)
    assert not WebhookRetry.objects.exists()


def test_a_killed_workers_delivery_is_resent_after_its_lease_with_the_same_webhook_id(
    receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for())
    record(1)
    log = WebhookLog.objects.get()
    claimed_at = timezone.now()
    assert lanes.claim(token="killed", limit=10, now=claimed_at).ids == [log.pk]  # then killed
    sender.pump()
    assert sweeps.lost_logs(now=claimed_at + lanes.lease() / 2) == []
    assert receiver.requests == []  # nobody else sends it while the lease holds
    expired = claimed_at - lanes.lease() - timedelta(seconds=1)
    WebhookLog.objects.filter(pk=log.pk).update(claimed_at=expired)  # the lease ran out
    assert sweeps.lost_logs() == [log.pk]
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.lost_task_sweep()
    (request,) = receiver.wait_for(1)
    assert request.header("webhook-id") == log.delivery_id
    log.refresh_from_db()
    assert (log.status, log.attempt) == (LogStatus.SUCCESS, 1)


def test_a_new_endpoint_gets_one_attempt_before_the_rest(receiver: Receiver) -> None:
    rule = make_rule(url=receiver.url_for())
    record(5)
    first = lanes.claim(token="a", limit=10, now=timezone.now())
    assert len(first.ids) == 1  # a first 410 or refusal stops a new lane at one request
    WebhookLog.objects.filter(pk__in=first.ids).update(claimed_at=None, claimed_by="")
    sender.pump()
    assert Lane.objects.get(rule=rule).last_attempt_at is not None
    assert len(receiver.wait_for(5)) == 5


def test_a_sender_renews_the_lease_of_what_it_is_still_sending(settings) -> None:
    settings.HUB_DELIVERY_LEASE = 3  # renewed every second
    with Receiver(default=Reply(delay=2.5)) as slow:
        make_rule(url=slow.url_for())
        record(1)
        with CaptureQueriesContext(connection) as queries:
            sender.pump()
    log = WebhookLog.objects.get()
    assert log.status == LogStatus.SUCCESS
    renewals = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "delivery_webhooklog" SET "claimed_at"')
        and '"error"' not in q["sql"]  # the claim itself also sets claimed_by and error
    ]
    assert renewals  # renewed while the slow answer was awaited
    assert log.claimed_at > log.created_at


needs_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL, reason="the running-sender note lives in Redis"
)


@needs_redis
def test_no_task_is_queued_for_a_new_delivery_while_a_sender_runs(receiver: Receiver, send) -> None:
    make_rule(url=receiver.url_for())
    presence.announce()  # a sender elsewhere is running
    try:
        send()
        assert receiver.requests == []  # not queued: the running sender's job
        assert WebhookLog.objects.get().status == LogStatus.PENDING
    finally:
        presence.withdraw()
    sender.pump(follow=True)  # that sender's next look
    assert len(receiver.wait_for(1)) == 1
    send()  # no sender running: queued (and sent inline by the test queue)
    assert len(receiver.wait_for(2)) == 2


def test_a_claim_hands_back_its_rows_ready_to_send_and_nobody_else_gets_them() -> None:
    make_rule(url="http://127.0.0.1:9/hook")
    record(3)
    Lane.objects.update(last_attempt_at=timezone.now())  # past the new lane's single attempt
    now = timezone.now()
    first = lanes.claim(token="a", limit=2, now=now)
    stored = {log.pk: log for log in WebhookLog.objects.order_by("id")}
    assert first.ids == list(stored)[:2]  # the oldest, oldest first
    for log in first.logs:  # what the claim's UPDATE ... RETURNING brought back
        row = stored[log.pk]
        assert (log.delivery_id, log.url, log.request_body) == (
            row.delivery_id,
            row.url,
            row.request_body,
        )
        assert (row.claimed_by, log.claimed_by, log.status) == ("a", "a", LogStatus.PENDING)
    second = lanes.claim(token="b", limit=10, now=now)
    assert second.ids == list(stored)[2:]  # the lane allows 10: only the one left
    assert lanes.claim(token="c", limit=10, now=now).ids == []


def test_a_sender_sees_a_rule_changed_between_two_rounds() -> None:
    rule = make_rule(url="http://127.0.0.1:9/hook", secret="old-secret")
    pump = sender._Pump(None, follow=False)
    assert pump._rules({rule.pk})[rule.pk].secret == "old-secret"
    again = pump._rules({rule.pk})
    WebhookRule.objects.filter(pk=rule.pk).update(active=False)  # a queryset update, no save()
    assert pump._rules({rule.pk})[rule.pk].active is False
    rule.refresh_from_db()
    rule.secret = "new-secret"
    rule.save()
    changed = pump._rules({rule.pk})[rule.pk]
    assert changed.secret == "new-secret"
    assert changed is not again
    rule.delete()
    assert pump._rules({rule.pk}) == {}


def test_a_claim_reads_its_rows_back_where_update_cannot_return_them(monkeypatch) -> None:
    """SQLite before 3.35 has no UPDATE ... RETURNING: the claim reads back what it stamped."""
    make_rule(url="http://127.0.0.1:9/hook")
    record(3)
    Lane.objects.update(last_attempt_at=timezone.now())
    # Only for the claims (Django's own inserts read the same flag).
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    with CaptureQueriesContext(connection) as queries:
        earlier = lanes.claim(token="a", limit=1, now=timezone.now())
        claim = lanes.claim(token="a", limit=10, now=timezone.now())  # same sender, later claim
    assert not [q for q in queries.captured_queries if "RETURNING" in q["sql"]]
    assert len(earlier.logs) == 1
    assert [log.pk for log in claim.logs] == list(
        WebhookLog.objects.exclude(pk__in=earlier.ids).order_by("id").values_list("id", flat=True)
    )
    assert all(log.url == "http://127.0.0.1:9/hook" for log in claim.logs)
