"""Record-time queue tasks while no sender runs (delivery.queue.kick_on_commit): one kicked task
per burst, which sends every delivery recorded before it started."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from delivery import presence, queue, sending, tasks
from delivery.models import LogStatus, WebhookLog
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="the kicked-task mark lives in Redis"),
]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[list[int], dict[str, Any]]]]:
    """The delivery tasks queued, instead of running them (as with no worker up)."""
    calls: list[tuple[list[int], dict[str, Any]]] = []

    def put(func: str, log_ids: list[int], **options: Any) -> str:
        assert func == "delivery.tasks.deliver"
        calls.append((log_ids, options))
        return f"task-{len(calls)}"

    presence.kick_taken()
    presence.withdraw()
    monkeypatch.setattr(queue.queue, "enqueue", put)
    yield calls
    presence.kick_taken()


@pytest.fixture
def record(django_capture_on_commit_callbacks: Any) -> Callable[[], WebhookLog]:
    def run() -> WebhookLog:
        with django_capture_on_commit_callbacks(execute=True):
            event = emit()
        return WebhookLog.objects.get(event=event)

    return run


def test_a_burst_with_no_sender_running_queues_one_kicked_task(queued, record) -> None:
    make_rule()
    first = record()
    record()
    record()
    assert queued == [([first.pk], {"kicked": True, "group": "delivery", "timeout": 300})]


def test_once_the_kicked_task_started_the_next_delivery_queues_again(queued, record) -> None:
    make_rule()
    record()
    presence.kick_taken()  # what the task does first
    second = record()
    assert [ids for ids, _ in queued][1:] == [[second.pk]]


def test_a_kicked_task_sends_what_was_recorded_after_it_even_if_its_own_went_out(
    receiver: Receiver, queued, record
) -> None:
    make_rule(url=receiver.url_for())
    first = record()
    second = record()  # queued nothing: the kicked task's job
    [(ids, options)] = queued
    sending.deliver([first.pk])  # another sender took the first delivery meanwhile
    assert len(receiver.wait_for(1)) == 1
    assert WebhookLog.objects.get(pk=second.pk).status == LogStatus.PENDING
    tasks.deliver(ids, kicked=options["kicked"])  # the kicked task starts at last
    assert len(receiver.wait_for(2)) == 2
    assert WebhookLog.objects.get(pk=second.pk).status == LogStatus.SUCCESS
    assert presence.claim_kick() is True  # it released the mark


def test_a_kicked_task_the_broker_refused_releases_the_mark(
    monkeypatch: pytest.MonkeyPatch, record
) -> None:
    refused: list[dict[str, Any]] = []
    presence.kick_taken()
    presence.withdraw()
    monkeypatch.setattr(queue.queue, "enqueue", lambda *a, **o: refused.append(o))
    make_rule()
    record()
    record()
    assert [o.get("kicked") for o in refused] == [True, None, True, None]  # each tried again
    assert presence.claim_kick() is True
    presence.kick_taken()


def test_without_redis_every_delivery_queues_a_plain_task(queued, record) -> None:
    make_rule()
    with override_settings(REDIS_URL=""):
        first, second = record(), record()
    assert queued == [
        ([first.pk], {"group": "delivery", "timeout": 300}),
        ([second.pk], {"group": "delivery", "timeout": 300}),
    ]


def test_no_task_is_queued_while_a_sender_runs(queued, record) -> None:
    make_rule()
    presence.announce()
    try:
        record()
    finally:
        presence.withdraw()
    assert queued == []
