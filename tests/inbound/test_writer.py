"""The writer thread (PostgreSQL): concurrent accepted requests share one INSERT and commit, each
still gets its own committed row before its 202, duplicates and bad rows stay per request, and a
database error answers an error and loses nothing that was answered 202."""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hub.lib.handoff import Handoff
from inbound import services, source_cache
from inbound import writer as writer_module
from inbound.models import InboundSource, IncomingWebhook
from inbound.writer import Writer
from tests import factories
from tests.inbound.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the writer thread is used on PostgreSQL only")


@pytest.fixture
def writer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Writer]:
    """Production mode: a broker outside the database (ids recorded, not queued) and the
    writer thread storing accepted rows; its connection is closed afterwards."""
    source_cache.clear()
    batches: list[list[int]] = []
    handoff = Handoff(batches.append, name="test-handoff", batch=20)
    fresh = Writer(name="test-writer")
    monkeypatch.setattr(services, "handoff", handoff)
    monkeypatch.setattr(services, "handing_off", lambda: True)
    monkeypatch.setattr(services, "writer", fresh)
    yield fresh
    fresh.stop()
    assert handoff.flush(timeout=10)
    source_cache.clear()


def _values(source: InboundSource, *, key: str | None = None, body: str = "{}") -> dict[str, Any]:
    now = datetime.now(tz=UTC)
    return {
        "source_id": source.pk,
        "received_at": now,
        "headers": {},
        "body": body,
        "idempotency_key": key,
        "verification_status": "verified",
        "state": "received",
        "response_status": 202,
        "enqueued_at": now,
    }


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads at once; their results (or exceptions) in order."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls), timeout=10)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except BaseException as exc:  # returned to the test thread
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


class Held(threading.Event):
    """Set to let the writer's first statement run; ``taken`` once the writer holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = threading.Event()


@pytest.fixture
def held(writer: Writer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    """The writer's first statement waits until released: rows queue up meanwhile."""
    release = Held()
    real = Writer._insert_batch
    first = [True]

    def slow_first(self: Writer, db: Any, slots: list[Any]) -> None:
        if first[0]:
            first[0] = False
            release.taken.set()
            assert release.wait(timeout=10)
        real(self, db, slots)

    monkeypatch.setattr(Writer, "_insert_batch", slow_first)
    yield release
    release.set()


def _wait_queued(writer: Writer, n: int) -> None:
    deadline = time.monotonic() + 10
    while writer._pending.qsize() < n:
        assert time.monotonic() < deadline, "the rows never queued"
        time.sleep(0.01)


def _start_held(writer: Writer, held: Held, values: dict[str, Any]) -> threading.Thread:
    """A request whose row the writer took first and holds (its statement not yet run)."""
    thread = threading.Thread(target=lambda: writer.insert(values))
    thread.start()
    assert held.taken.wait(timeout=10)
    return thread


def _post(source: InboundSource, body: dict[str, int]) -> Any:
    return post_signed(Client(), source, body)


def test_concurrent_requests_each_get_their_own_committed_row(writer: Writer) -> None:
    source = factories.make_source()
    bodies = [{"order": i} for i in range(12)]
    responses = _together([functools.partial(_post, source, b) for b in bodies])
    assert [r.status_code for r in responses] == [202] * len(bodies)
    ids = [int(r.json()["id"]) for r in responses]
    assert len(set(ids)) == len(ids)
    # Read on another connection than the writer's: committed, each with its own body.
    stored = dict(IncomingWebhook.objects.filter(pk__in=ids).values_list("pk", "body"))
    assert [json.loads(stored[i]) for i in ids] == bodies
    assert 1 <= writer.statements <= len(bodies)


def test_rows_that_arrive_while_a_statement_runs_share_the_next_one(
    writer: Writer, held: Held
) -> None:
    source = factories.make_source()
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(writer.insert(_values(source))))
    first.start()
    assert held.taken.wait(timeout=10)
    rest: list[Any] = []

    def insert_five() -> None:
        rest.extend(_together([lambda: writer.insert(_values(source)) for _ in range(5)]))

    others = threading.Thread(target=insert_five)
    others.start()
    _wait_queued(writer, 5)
    assert not results  # nobody is answered before the statement has committed
    held.set()
    first.join(timeout=10)
    others.join(timeout=10)
    ids = results + rest
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 6
    assert writer.statements == 2
    assert IncomingWebhook.objects.filter(pk__in=ids).count() == 6


def test_a_taken_key_in_or_before_a_batch_is_answered_as_a_duplicate(
    writer: Writer, held: Held
) -> None:
    source = factories.make_source()
    held.set()
    first = writer.insert(_values(source, key="k-old"))
    assert isinstance(first, int)
    results = _together(
        [
            lambda: writer.insert(_values(source, key="k-new")),
            lambda: writer.insert(_values(source, key="k-new")),
            lambda: writer.insert(_values(source, key="k-old")),
            lambda: writer.insert(_values(source)),
        ]
    )
    assert sum(isinstance(r, int) for r in results[:2]) == 1  # one of the two copies
    assert results[:2].count(None) == 1
    assert results[2] is None and isinstance(results[3], int)
    assert IncomingWebhook.objects.filter(source=source).count() == 3


def test_a_row_that_fails_alone_fails_only_its_own_request(writer: Writer, held: Held) -> None:
    source = factories.make_source()
    gone = factories.make_source()
    gone_values = _values(gone)
    gone.delete()  # a source deleted while its request was in flight: a foreign-key error
    blocker = _start_held(writer, held, _values(source))
    results: list[Any] = []
    inserting = threading.Thread(
        target=lambda: results.extend(
            _together(
                [
                    lambda: writer.insert(_values(source, body='{"a": 1}')),
                    lambda: writer.insert(gone_values),
                    lambda: writer.insert(_values(source, body='{"a": 2}')),
                ]
            )
        )
    )
    inserting.start()
    _wait_queued(writer, 3)
    held.set()
    blocker.join(timeout=10)
    inserting.join(timeout=10)
    assert isinstance(results[1], DatabaseError)
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert set(IncomingWebhook.objects.values_list("body", flat=True)) >= {'{"a": 1}', '{"a": 2}'}


def _terminate_other_backends() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_a_lost_connection_answers_500_stores_nothing_unacknowledged_and_recovers(
    writer: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "IDLE", 3600.0)  # no health check before the batch
    source = factories.make_source()
    client = Client(raise_request_exception=False)
    assert post_signed(client, source, {"n": 1}).status_code == 202  # the writer connected
    _terminate_other_backends()
    failed = post_signed(client, source, {"n": 2})
    assert failed.status_code == 500
    assert post_signed(client, source, {"n": 3}).status_code == 202  # reconnected
    bodies = {json.loads(b)["n"] for b in IncomingWebhook.objects.values_list("body", flat=True)}
    assert bodies == {1, 3}


def test_after_a_quiet_second_a_dead_connection_is_replaced_before_use(writer: Writer) -> None:
    source = factories.make_source()
    assert isinstance(writer.insert(_values(source)), int)
    _terminate_other_backends()
    time.sleep(writer_module.IDLE + 0.1)
    assert isinstance(writer.insert(_values(source)), int)  # health check, then reconnect


def test_the_request_thread_runs_no_statement_of_its_own(writer: Writer) -> None:
    source = factories.make_source()
    client = Client()
    assert post_signed(client, source, {"n": 1}).status_code == 202  # caches the source
    with CaptureQueriesContext(connection) as queries:
        response = post_signed(client, source, {"n": 2})
    assert response.status_code == 202
    assert queries.captured_queries == []
    assert IncomingWebhook.objects.filter(pk=int(response.json()["id"])).exists()


def test_concurrent_copies_of_one_webhook_are_accepted_once(writer: Writer) -> None:
    source = factories.make_source()
    msg_id = f"msg_{uuid.uuid4().hex}"
    responses = _together(
        [lambda: post_signed(Client(), source, {"order": 17}, msg_id=msg_id) for _ in range(4)]
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 202]
    first = IncomingWebhook.objects.get(source=source, idempotency_key=msg_id)
    assert {r.json()["id"] for r in responses} == {str(first.pk)}
    assert first.duplicates.count() == 3


def test_a_stopped_writer_starts_again_on_the_next_request(writer: Writer) -> None:
    source = factories.make_source()
    assert isinstance(writer.insert(_values(source)), int)
    writer.stop()
    assert isinstance(writer.insert(_values(source)), int)
