"""Events stored before their deliveries were planned (``POST /api/emit/``): planned in a worker.

``hub.events.accept_event`` stores the event with the ids of the rules it matched
(``EventHistory.pending_rules``) and answers; planning (payloads, signing inputs, one
``WebhookLog`` per delivery, the senders' kick) is the work of ``plan_stored``, in a worker, for
a batch of events in one transaction. Ids reach it through a hand-off thread per process
(``hub.lib.handoff.Handoff``: one broker call for the events of the last few milliseconds).
Nothing stored is lost: an event whose hand-off or task was lost (a process stopped, the broker
down) keeps its ``pending_rules``, and the sweep (every minute) plans it. Planning claims its
events first (PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite's IMMEDIATE transactions) and
clears ``pending_rules`` in the same transaction, so a task and the sweep never both plan one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_q.conf import Conf

from delivery.dispatch import create_deliveries
from hub import plan_presence
from hub.lib import queue
from hub.lib.handoff import Handoff, handing_off
from hub.models import EventHistory
from rules.planning import plan
from rules.ruleset import rules_by_id

logger = logging.getLogger(__name__)

TASK = "hub.tasks.plan_events"
THREAD_NAME = "emit-handoff"
# The hand-off waits this long after an id for more: at a few hundred emits per second one
# task carries a few events, and an event's deliveries are planned at most this much later.
LINGER = 0.005
BATCH = 100  # events per task: one transaction, two bulk inserts
# The sweep plans events unplanned for longer than this (their task was lost or is very late:
# planning twice is impossible, the claim decides), a batch at a time within a time budget.
PLAN_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500
SWEEP_BUDGET = 30.0


# A planning task goes on planning what emits store meanwhile (hub.plan_presence): it looks
# every POLL, stops LINGER_AFTER the last event it found, and plans for at most BUDGET; then the
# next hand-off queues another. Short, because it holds one of the (two) queue workers: a
# sender's follow-up task waits for a worker at most that long. Steady bench (100 emits/s):
# budget 10 s -> p50 2.3 s; 1 s -> p50 32 ms, p99 1.3 s; 0.5 s -> p99 0.8 s; 0.25 s -> p50
# 30 ms, p99 0.57 s; 0.1 s -> p50 43 ms, p99 0.6 s (216 tasks in 30 s).
POLL = 0.01
LINGER_AFTER = 0.1
BUDGET = 0.25
ANNOUNCE_EVERY = 0.1
LAST_LOOKS = 20  # batches planned after withdrawing, before handing the rest to a new task


def _send(event_ids: list[int]) -> None:
    """The hand-off thread's call: queue a planner unless one runs or is queued."""
    if plan_presence.active():
        return  # it finds these within POLL
    kicked = plan_presence.claim_kick()
    if kicked is False:
        return  # a queued planner takes these too when it starts
    task_id = queue.enqueue(TASK, event_ids, group="plan", task_name=f"plan-{event_ids[0]}+")
    if kicked and task_id is None:
        plan_presence.kick_taken()  # not queued: the next hand-off tries again


handoff = Handoff(_send, name=THREAD_NAME, batch=BATCH, linger=LINGER)


def plan_on_commit(event_id: int) -> None:
    """Have the event's deliveries planned once its row is committed. Never raises: a lost
    hand-off leaves the event to the sweep."""
    if handing_off():
        handoff.submit_on_commit(event_id)
    else:
        queue.enqueue_on_commit(TASK, [event_id], group="plan")


def plan_stored(event_ids: Sequence[int]) -> int:
    """Plan the deliveries of those of these events still unplanned, in one transaction;
    returns how many it planned. Events another planner holds or planned are skipped."""
    if not event_ids:
        return 0
    with transaction.atomic():
        pending = EventHistory.objects.filter(pk__in=event_ids, pending_rules__isnull=False)
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        events = list(pending.order_by("pk"))
        if not events:
            return 0
        wanted = {event.pk: list(event.pending_rules or ()) for event in events}
        rules = rules_by_id({pk for ids in wanted.values() for pk in ids})
        planned = []
        for event in events:
            if gone := [pk for pk in wanted[event.pk] if pk not in rules]:
                # Deleted in the milliseconds since the event matched it: nothing to send.
                logger.warning("event %s: rules %s were deleted before planning", event.pk, gone)
            found = [rules[pk] for pk in wanted[event.pk] if pk in rules]
            planned.append((event, plan(event, found)))
        create_deliveries(planned)
        EventHistory.objects.filter(pk__in=[event.pk for event in events]).update(
            pending_rules=None
        )
    return len(events)


def plan_following(event_ids: Sequence[int]) -> int:
    """The planning task: these events, then whatever emits store while it runs (bounded by
    BUDGET, until LINGER_AFTER without any). Only these with the tests' inline queue, or
    without Redis (no presence: every hand-off queues its own task)."""
    if Conf.SYNC or not plan_presence.enabled():
        plan_presence.kick_taken()
        return plan_stored(event_ids)
    # Announced before the first batch, not after it: a hand-off during that batch (100+ ms
    # in a worker's first task) queued a second planner, which held the other worker while
    # the first delivery task waited (steady bench: 50-80 deliveries 350-430 ms late at start).
    plan_presence.announce()
    plan_presence.kick_taken()  # then: from now on a hand-off sees us or queues anew
    try:
        total = plan_stored(event_ids)
        started = last_found = announced = time.monotonic()
        while (now := time.monotonic()) - started < BUDGET and now - last_found < LINGER_AFTER:
            if now - announced >= ANNOUNCE_EVERY:
                plan_presence.announce()
                announced = now
            planned = plan_stored(_unplanned())
            if planned:
                total, last_found = total + planned, time.monotonic()
            else:
                time.sleep(POLL)
    finally:
        plan_presence.withdraw()  # first; then a last look (see hub.plan_presence)
    for _ in range(LAST_LOOKS):
        ids = _unplanned()
        planned = plan_stored(ids)
        total += planned
        if len(ids) < BATCH or not planned:
            return total
    if ids := _unplanned():  # still more: their hand-offs saw us, so queue the next planner
        _send(ids)
    return total


def _unplanned() -> list[int]:
    """The oldest unplanned events (the partial index history_unplanned)."""
    return list(
        EventHistory.objects.filter(pending_rules__isnull=False)
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )


def sweep(*, now: datetime | None = None) -> int:
    """Plan the events left unplanned for ``PLAN_AFTER`` (batch after batch, within a budget)."""
    before = (now or timezone.now()) - PLAN_AFTER
    started, total = time.monotonic(), 0
    while time.monotonic() - started < SWEEP_BUDGET:
        ids = list(
            EventHistory.objects.filter(pending_rules__isnull=False, created_at__lt=before)
            .order_by("created_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        planned = sum(plan_stored(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH))
        total += planned
        if len(ids) < SWEEP_BATCH or not planned:
            break
    return total
