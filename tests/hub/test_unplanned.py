"""POST /api/emit/ answers once the event is stored; its deliveries are planned right after, in a
worker (hub.unplanned), or by the sweep when that hand-off was lost; never twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from delivery.models import LogStatus, WebhookLog
from hub import plan_presence, tasks, unplanned
from hub.lib.handoff import Handoff
from hub.models import EventHistory
from rules.models import DispatchMode, WebhookEvent
from rules.ruleset import active_rules
from tests import factories
from tests.fakes.receiver import Receiver

JOIN_TIMEOUT = 20.0
EMIT = {"model": "res.partner", "event": "write", "record_id": 7, "data": {"id": 7}}


@pytest.fixture
def emitter(admin_user_obj: Any) -> APIClient:
    # A transactional test starts from flushed tables: the catalogue's code too.
    WebhookEvent.objects.get_or_create(code="write", defaults={"name": "write"})
    return factories.token_client(admin_user_obj)


@pytest.fixture
def handed_over(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    """Production mode (a broker outside the database): event ids go to a hand-off thread,
    whose batches are recorded here instead of reaching a broker (a worker plans them)."""
    batches: list[list[int]] = []
    handoff = Handoff(batches.append, name="test-emit-handoff", batch=unplanned.BATCH)
    monkeypatch.setattr(unplanned, "handoff", handoff)
    monkeypatch.setattr(unplanned, "handing_off", lambda: True)
    yield batches
    assert handoff.flush(timeout=10)


def after_the_grace_period() -> Any:
    return timezone.now() + unplanned.PLAN_AFTER + timedelta(seconds=1)


def deliveries_of(event: EventHistory) -> list[WebhookLog]:
    return list(WebhookLog.objects.filter(event=event).order_by("rule_id"))


@pytest.mark.django_db(transaction=True)
def test_emit_answers_202_with_the_count_before_its_deliveries_are_planned(
    emitter: APIClient, receiver: Receiver, handed_over: list[list[int]]
) -> None:
    first = factories.make_rule(url=receiver.url_for("/a"))
    second = factories.make_rule(url=receiver.url_for("/b"))
    with CaptureQueriesContext(connection) as queries:
        response = emitter.post("/api/emit/", EMIT, format="json")
    assert response.status_code == 202
    assert response.json()["deliveries"] == 2
    event = EventHistory.objects.get(event_id=response.json()["id"])
    assert sorted(event.pending_rules) == sorted([first.pk, second.pk])
    assert deliveries_of(event) == []  # not at the answer: a few ms later
    assert "INSERT" in queries.captured_queries[-1]["sql"]  # the event; nothing after it
    assert unplanned.handoff.flush(timeout=10)
    assert handed_over == [[event.pk]]

    assert tasks.plan_events(handed_over[0]) == 1  # what the worker runs
    logs = deliveries_of(event)
    assert [log.rule_id for log in logs] == sorted([first.pk, second.pk])
    assert sorted(r.path for r in receiver.wait_for(2)) == ["/a", "/b"]  # its senders kicked
    event.refresh_from_db()
    assert event.pending_rules is None


@pytest.mark.django_db(transaction=True)
def test_the_deliveries_of_an_emit_are_planned_and_sent_after_the_answer(
    emitter: APIClient, receiver: Receiver
) -> None:
    # The tests' inline queue: the planning task runs when the event's INSERT commits.
    factories.make_rule(url=receiver.url_for("/hook"))
    response = emitter.post("/api/emit/", EMIT, format="json")
    assert (response.status_code, response.json()["deliveries"]) == (202, 1)
    (request,) = receiver.wait_for(1)
    body = request.json()
    assert (body["id"], body["type"], body["source"]) == (
        response.json()["id"],
        "res.partner.write",
        "api",
    )
    assert request.header("webhook-id") == WebhookLog.objects.get().delivery_id
    assert EventHistory.objects.get().pending_rules is None


@pytest.mark.django_db(transaction=True)
def test_an_emit_that_matches_nothing_leaves_nothing_to_plan(
    emitter: APIClient, handed_over: list[list[int]]
) -> None:
    response = emitter.post("/api/emit/", EMIT, format="json")
    assert (response.status_code, response.json()["deliveries"]) == (202, 0)
    assert EventHistory.objects.get().pending_rules is None
    assert unplanned.handoff.flush(timeout=10)
    assert handed_over == []


@pytest.mark.django_db(transaction=True)
def test_an_emit_matching_a_sync_rule_is_sent_before_the_answer(
    emitter: APIClient, receiver: Receiver, handed_over: list[list[int]]
) -> None:
    factories.make_rule(url=receiver.url_for("/sync"), dispatch_mode=DispatchMode.SYNC)
    factories.make_rule(url=receiver.url_for("/async"))
    response = emitter.post("/api/emit/", EMIT, format="json")
    assert (response.status_code, response.json()["deliveries"]) == (202, 2)
    # Sent inline, before the answer (the documented sync behaviour); its async sibling was
    # planned in the same transaction (here the tests' inline queue sent it at once, after).
    assert receiver.requests[0].path == "/sync"
    assert WebhookLog.objects.count() == 2
    assert EventHistory.objects.get().pending_rules is None
    assert handed_over == []


@pytest.mark.django_db(transaction=True)
def test_an_event_whose_hand_off_was_lost_is_planned_by_the_sweep_once(
    emitter: APIClient, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crash between the answer and the planning: the stored ids never reach a worker.
    lost = Handoff(lambda ids: None, name="test-emit-lost", batch=unplanned.BATCH)
    monkeypatch.setattr(unplanned, "handoff", lost)
    monkeypatch.setattr(unplanned, "handing_off", lambda: True)
    factories.make_rule(url=receiver.url_for("/hook"))
    response = emitter.post("/api/emit/", EMIT, format="json")
    assert lost.flush(timeout=10)
    event = EventHistory.objects.get(event_id=response.json()["id"])
    assert deliveries_of(event) == []

    assert unplanned.sweep() == 0  # too recent: its task may still come
    assert unplanned.sweep(now=after_the_grace_period()) == 1
    assert unplanned.sweep(now=after_the_grace_period()) == 0
    (request,) = receiver.wait_for(1)  # planned, and its senders kicked
    assert request.json()["id"] == response.json()["id"]
    assert request.header("webhook-id") == deliveries_of(event)[0].delivery_id


@pytest.mark.django_db(transaction=True)
def test_an_event_stored_while_the_broker_is_down_is_planned_by_the_sweep(
    emitter: APIClient, receiver: Receiver
) -> None:
    from tests.hub.test_broker_outage import broker_down

    factories.make_rule(url=receiver.url_for("/hook"))
    with broker_down():  # django-q2 on Redis at a closed port: the hand-off's enqueue fails
        response = emitter.post("/api/emit/", EMIT, format="json")
        assert unplanned.handoff.flush(timeout=10)
    assert (response.status_code, response.json()["deliveries"]) == (202, 1)
    assert WebhookLog.objects.count() == 0
    assert receiver.requests == []

    assert tasks.plan_sweep() == 0  # within the grace period
    assert unplanned.sweep(now=after_the_grace_period()) == 1
    (request,) = receiver.wait_for(1)
    assert request.json()["id"] == response.json()["id"]
    assert WebhookLog.objects.get().status == LogStatus.SUCCESS


@pytest.mark.skipif(
    not connection.features.has_select_for_update_skip_locked,
    reason="threads need PostgreSQL; SQLite's IMMEDIATE transactions run planners one at a time "
    "(test_planning_an_event_already_planned_plans_nothing is that order)",
)
@pytest.mark.django_db(transaction=True)
def test_a_task_and_the_sweep_planning_the_same_events_at_once_plan_each_once(
    receiver: Receiver,
) -> None:
    rules = [factories.make_rule(url=receiver.url_for(f"/{n}")) for n in range(2)]
    events = [_stored_unplanned(rules, record_id=n) for n in range(30)]
    ids = [event.pk for event in events]
    barrier = threading.Barrier(3, timeout=JOIN_TIMEOUT)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(plan: Any) -> None:
        try:
            barrier.wait()
            results.append(plan())
        except BaseException as exc:  # reported in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    planners = [
        lambda: tasks.plan_events(ids),  # the hand-off's task
        lambda: tasks.plan_events(list(reversed(ids))),  # a copy of it, another order
        lambda: unplanned.sweep(now=after_the_grace_period()),
    ]
    threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in planners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert errors == []
    assert sum(results) == 30  # every event planned by exactly one of them
    assert WebhookLog.objects.count() == 60
    pairs = set(WebhookLog.objects.values_list("event_id", "rule_id"))
    assert len(pairs) == 60
    assert not EventHistory.objects.filter(pending_rules__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_planning_an_event_already_planned_plans_nothing(receiver: Receiver) -> None:
    rule = factories.make_rule(url=receiver.url_for("/hook"))
    event = _stored_unplanned([rule], record_id=1)
    assert unplanned.plan_stored([event.pk]) == 1
    assert unplanned.plan_stored([event.pk]) == 0
    assert unplanned.sweep(now=after_the_grace_period()) == 0
    assert len(deliveries_of(event)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rule_deleted_before_planning_is_skipped_and_its_siblings_planned(
    receiver: Receiver,
) -> None:
    kept, deleted = (factories.make_rule(url=receiver.url_for(f"/{n}")) for n in range(2))
    event = _stored_unplanned([kept, deleted], record_id=1)
    deleted.delete()
    assert unplanned.plan_stored([event.pk]) == 1
    assert [log.rule_id for log in deliveries_of(event)] == [kept.pk]


@pytest.mark.django_db(transaction=True)
def test_planning_a_batch_costs_the_same_statements_as_planning_one(receiver: Receiver) -> None:
    rule = factories.make_rule(url=receiver.url_for("/hook"))
    one = [_stored_unplanned([rule], record_id=0).pk]
    many = [_stored_unplanned([rule], record_id=n).pk for n in range(1, 21)]
    active_rules()  # the process's rule set loaded once, as in a running worker
    counted = []
    for ids in (one, many):
        with CaptureQueriesContext(connection) as queries:
            unplanned.plan_stored(ids)
        statements = [q["sql"].split()[0] for q in queries.captured_queries]
        counted.append(statements[: statements.index("COMMIT") + 1])  # then the senders' kick
    assert counted[0] == counted[1]
    assert WebhookLog.objects.count() == 21


def _stored_unplanned(rules: list[Any], *, record_id: int) -> EventHistory:
    """An event as POST /api/emit/ stores it, its hand-off lost."""
    return EventHistory.objects.create(
        occurred_at=timezone.now(),
        source="api",
        model="res.partner",
        record_id=record_id,
        event_code="write",
        data={"id": record_id},
        rules_triggered=len(rules),
        pending_rules=[rule.pk for rule in rules],
    )


# --- the following planner (hub.plan_presence) ---------------------------------------------


class Presence:
    """hub.plan_presence as Redis would answer it, recorded."""

    def __init__(self, *, active: bool = False, kick: bool | None = True) -> None:
        self.is_active, self.kick = active, kick
        self.calls: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Presence:
        for name in ("announce", "withdraw", "kick_taken"):
            monkeypatch.setattr(plan_presence, name, lambda n=name: self._call(n))
        monkeypatch.setattr(plan_presence, "active", lambda: self.is_active)
        monkeypatch.setattr(plan_presence, "claim_kick", lambda: self.kick)
        monkeypatch.setattr(plan_presence, "enabled", lambda: self.kick is not None)
        return self

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in ("announce", "withdraw"):  # the key stands until withdrawn (or expired)
            self.is_active = name == "announce"


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []

    def enqueue(func: str, *args: Any, **options: Any) -> str | None:
        calls.append((func, args))
        # Refused: the test's "plan-0+" and every delivery task (its kick mark is released
        # at once, so no later test waits for a task that never was).
        return "task-id" if func == unplanned.TASK and options["task_name"] != "plan-0+" else None

    monkeypatch.setattr(unplanned.queue, "enqueue", enqueue)
    return calls


def test_the_hand_off_queues_no_task_while_a_planner_runs(
    monkeypatch: pytest.MonkeyPatch, enqueued: list[Any]
) -> None:
    Presence(active=True).install(monkeypatch)
    unplanned._send([1, 2])
    assert enqueued == []


def test_the_hand_off_queues_no_task_while_a_kicked_planner_waits(
    monkeypatch: pytest.MonkeyPatch, enqueued: list[Any]
) -> None:
    Presence(kick=False).install(monkeypatch)
    unplanned._send([1, 2])
    assert enqueued == []


def test_the_hand_off_queues_a_planner_when_none_runs_or_without_redis(
    monkeypatch: pytest.MonkeyPatch, enqueued: list[Any]
) -> None:
    presence = Presence(kick=True).install(monkeypatch)
    unplanned._send([1, 2])
    presence.kick = None  # no Redis: every hand-off queues its task
    unplanned._send([3])
    assert enqueued == [(unplanned.TASK, ([1, 2],)), (unplanned.TASK, ([3],))]
    presence.kick = True
    unplanned._send([0])  # the broker refuses it: the mark is released for the next one
    assert presence.calls == ["kick_taken"]


@pytest.mark.django_db(transaction=True)
def test_a_running_planner_plans_the_events_stored_meanwhile_then_withdraws(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, enqueued: list[Any]
) -> None:
    presence = Presence().install(monkeypatch)
    monkeypatch.setattr(unplanned.Conf, "SYNC", False)  # a worker's planner, not inline
    monkeypatch.setattr(unplanned, "LINGER_AFTER", 0.3)
    rule = factories.make_rule(url=receiver.url_for("/hook"))
    first = _stored_unplanned([rule], record_id=1)
    later: list[EventHistory] = []
    plan_stored = unplanned.plan_stored

    def plan_while_emits_arrive(ids: Any) -> int:
        planned = plan_stored(ids)
        if not later:  # an emit stored after the planner's first batch; its hand-off saw it
            later.append(_stored_unplanned([rule], record_id=2))
        return planned

    monkeypatch.setattr(unplanned, "plan_stored", plan_while_emits_arrive)
    assert unplanned.plan_following([first.pk]) == 2
    assert WebhookLog.objects.filter(event__in=[first, *later]).count() == 2
    assert presence.calls[0] == "announce"  # first: later hand-offs see it
    assert presence.calls[1] == "kick_taken"
    assert presence.calls[-1] == "withdraw"


@pytest.mark.django_db(transaction=True)
def test_a_hand_off_during_a_planners_first_batch_queues_no_second_planner(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, enqueued: list[Any]
) -> None:
    # A second planner would hold the other queue worker while the delivery task waits.
    Presence().install(monkeypatch)
    monkeypatch.setattr(unplanned.Conf, "SYNC", False)
    rule = factories.make_rule(url=receiver.url_for("/hook"))
    first = _stored_unplanned([rule], record_id=1)
    later: list[EventHistory] = []
    plan_stored = unplanned.plan_stored

    def an_emit_arrives_during_the_first_batch(ids: Any) -> int:
        if not later:
            later.append(_stored_unplanned([rule], record_id=2))
            unplanned._send([later[0].pk])  # its hand-off
        return plan_stored(ids)

    monkeypatch.setattr(unplanned, "plan_stored", an_emit_arrives_during_the_first_batch)
    assert unplanned.plan_following([first.pk]) == 2  # the running planner took it
    assert [func for func, _ in enqueued if func == unplanned.TASK] == []
    assert WebhookLog.objects.filter(event__in=[first, *later]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_without_redis_a_planner_plans_its_own_events_and_ends(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, enqueued: list[Any]
) -> None:
    presence = Presence(kick=None).install(monkeypatch)
    monkeypatch.setattr(unplanned.Conf, "SYNC", False)
    rule = factories.make_rule(url=receiver.url_for("/hook"))
    mine, other = (_stored_unplanned([rule], record_id=n) for n in range(2))
    assert unplanned.plan_following([mine.pk]) == 1  # the other's own task plans it
    assert presence.calls == ["kick_taken"]
    assert EventHistory.objects.get(pk=other.pk).pending_rules == [rule.pk]
