"""The accept path's shortcuts keep every guarantee: one statement per accepted request, a
changed source takes effect at once in the saving process and within the cache TTL elsewhere,
ids reach the broker in batches off the request thread, a batch task runs every request."""

from __future__ import annotations

import io
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_q.conf import Conf

from hub.lib.handoff import Handoff
from inbound import queue as inbound_queue
from inbound import rotation, services, source_cache, tasks
from inbound.handoff import THREAD_NAME
from inbound.models import InboundCounter, InboundSource, IncomingWebhook
from tests import factories
from tests.inbound.conftest import post_signed, standard_headers

ORDER = {"type": "order.paid", "order": {"id": 17}}


@pytest.fixture(autouse=True)
def _empty_source_cache() -> Iterator[None]:
    source_cache.clear()
    yield
    source_cache.clear()


@pytest.fixture
def handed_over(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    """Production mode (a broker outside the database): ids go to a handoff thread, whose
    batches are recorded here instead of reaching a broker. Rows are inserted by the request
    thread, as on SQLite (the writer thread of PostgreSQL: test_writer.py)."""
    batches: list[list[int]] = []
    handoff = Handoff(batches.append, name="test-handoff", batch=20)
    monkeypatch.setattr(services, "handoff", handoff)
    monkeypatch.setattr(services, "handing_off", lambda: True)
    monkeypatch.setattr(services, "writing_in_batches", lambda: False)
    yield batches
    assert handoff.flush(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_an_accepted_request_costs_one_statement_once_its_source_is_cached(
    client: Client, handed_over: list[list[int]]
) -> None:
    source = factories.make_source()
    assert post_signed(client, source, ORDER).status_code == 202  # reads the source once
    with CaptureQueriesContext(connection) as queries:
        response = post_signed(client, source, ORDER)
    assert response.status_code == 202
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    row = IncomingWebhook.objects.get(pk=int(response.json()["id"]))
    assert (row.state, row.verification_status, row.response_status) == (
        "received",
        "verified",
        202,
    )


@pytest.mark.django_db(transaction=True)
def test_accepted_requests_stay_within_two_queries_as_a_regression_guard(
    client: Client, handed_over: list[list[int]], django_assert_max_num_queries: Any
) -> None:
    source = factories.make_source()
    with django_assert_max_num_queries(2):  # cold cache: the source lookup and the insert
        assert post_signed(client, source, ORDER).status_code == 202
    with django_assert_max_num_queries(1):
        assert post_signed(client, source, ORDER).status_code == 202


@pytest.mark.django_db(transaction=True)
def test_accepted_ids_reach_the_broker_after_the_response_from_the_handoff_thread(
    client: Client, handed_over: list[list[int]]
) -> None:
    source = factories.make_source()
    ids = [int(post_signed(client, source, ORDER).json()["id"]) for _ in range(3)]
    assert services.handoff.flush(timeout=10)
    assert sorted(i for batch in handed_over for i in batch) == ids


@pytest.mark.django_db(transaction=True)
def test_a_repeated_key_is_a_duplicate_outside_a_transaction_too(
    client: Client, handed_over: list[list[int]]
) -> None:
    source = factories.make_source()
    first = post_signed(client, source, ORDER, msg_id="msg_same")
    again = post_signed(client, source, ORDER, msg_id="msg_same")
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"id": first.json()["id"], "status": "duplicate"}
    # The failed INSERT left the connection usable: the duplicate row was stored after it.
    assert IncomingWebhook.objects.filter(source=source, state="duplicate").count() == 1


def test_an_inactive_source_is_refused_right_after_it_is_saved(client: Client, db: None) -> None:
    source = factories.make_source()
    assert post_signed(client, source, ORDER).status_code == 202
    source.active = False
    source.save()
    assert post_signed(client, source, ORDER).status_code == 404


def test_a_new_slug_retires_the_old_url_at_once(client: Client, db: None) -> None:
    source = factories.make_source()
    assert post_signed(client, source, ORDER).status_code == 202
    old_path = source.path
    rotation.new_slug(source_id=source.pk)
    body = b'{"type": "order.paid"}'
    headers = standard_headers(source.secret, body)
    response = client.post(old_path, data=body, content_type="application/json", **headers)
    assert response.status_code == 404


def test_a_replaced_secret_stops_working_at_once(client: Client, db: None) -> None:
    source = factories.make_source()
    assert post_signed(client, source, ORDER).status_code == 202
    rotation.generate_secret(source_id=source.pk)
    assert post_signed(client, source, ORDER).status_code == 401  # signed with the old secret


def _receive(source: InboundSource, *, now: float) -> services.Answer:
    body = b'{"type": "order.paid"}'
    headers = {
        k[5:].replace("_", "-").lower(): v
        for k, v in standard_headers(source.secret, body, ts=int(now)).items()
    }
    return services.receive(
        services.Received(
            slug=source.slug,
            method="POST",
            headers=headers,
            meta={"CONTENT_LENGTH": str(len(body))},
            read=io.BytesIO(body).read,
            now=now,
        )
    )


def test_a_source_changed_by_another_process_is_seen_when_the_entry_expires(
    db: None, settings: Any
) -> None:
    settings.HUB_INBOUND_SOURCE_CACHE_SECONDS = 2
    source = factories.make_source()
    now = time.time()
    assert _receive(source, now=now).status == 202
    # Another process deactivates it: an UPDATE this process hears nothing about.
    InboundSource.objects.filter(pk=source.pk).update(active=False)
    assert _receive(source, now=now + 1).status == 202  # within the TTL: the cached row
    assert _receive(source, now=now + 2).status == 404  # expired: read again, inactive


def test_the_cache_can_be_turned_off(db: None, settings: Any) -> None:
    settings.HUB_INBOUND_SOURCE_CACHE_SECONDS = 0
    source = factories.make_source()
    now = time.time()
    assert _receive(source, now=now).status == 202
    InboundSource.objects.filter(pk=source.pk).update(active=False)
    assert _receive(source, now=now).status == 404


def test_ids_submitted_while_the_thread_is_busy_go_out_in_batches_of_at_most_20() -> None:
    batches: list[list[int]] = []
    busy = threading.Event()
    release = threading.Event()

    def send(ids: list[int]) -> None:
        busy.set()
        assert release.wait(timeout=10)
        batches.append(ids)

    handoff = Handoff(send, name="test-batches", batch=20)
    handoff.submit(1)
    assert busy.wait(timeout=10)  # the thread holds id 1; the rest queue up behind it
    for i in range(2, 47):
        handoff.submit(i)
    release.set()
    assert handoff.flush(timeout=10)
    assert batches == [[1], list(range(2, 22)), list(range(22, 42)), list(range(42, 47))]


def test_ids_arriving_within_the_linger_share_one_batch() -> None:
    batches: list[list[int]] = []
    handoff = Handoff(batches.append, name="test-linger", batch=20, linger=0.5)
    for i in range(1, 6):  # well inside the half second the thread waits after the first id
        handoff.submit(i)
    assert handoff.flush(timeout=10)
    assert batches == [[1, 2, 3, 4, 5]]


def test_a_send_that_fails_does_not_stop_the_handoff_thread() -> None:
    sent: list[list[int]] = []

    def send(ids: list[int]) -> None:
        if ids == [1]:
            raise ConnectionError("broker down")
        sent.append(ids)

    handoff = Handoff(send, name="test-failure", batch=20)
    handoff.submit(1)
    assert handoff.flush(timeout=10)
    handoff.submit(2)
    assert handoff.flush(timeout=10)
    assert sent == [[2]]


def test_a_batch_task_runs_the_handler_of_every_request_in_it(db: None) -> None:
    source = factories.make_source()
    rows = [factories.make_incoming("received", source=source, body='{"n": 1}') for _ in range(3)]
    done_elsewhere = factories.make_incoming("done", source=source, body="{}")
    outcome = tasks.process_incoming_batch([r.pk for r in rows] + [done_elsewhere.pk])
    assert outcome == {"done": 3, "not claimable": 1}
    states = set(
        IncomingWebhook.objects.filter(pk__in=[r.pk for r in rows]).values_list("state", flat=True)
    )
    assert states == {"done"}


def test_handing_off_is_off_in_the_tests_sync_mode_and_with_the_orm_broker() -> None:
    # tests.settings run the queue inline: the handler must still run before post() returns.
    assert services.handing_off() is False


@pytest.mark.django_db(transaction=True)
def test_queueing_from_the_handoff_thread_writes_no_log_line_per_request(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(Conf, "SYNC", False)  # push to the (ORM) broker instead of running it

    def send(ids: list[int]) -> None:
        try:
            inbound_queue.enqueue_now(ids)
        finally:
            connections.close_all()  # this thread's own connection

    caplog.set_level(logging.INFO, logger="django-q")
    handoff = Handoff(send, name=THREAD_NAME, batch=20)
    handoff.submit(101)
    assert handoff.flush(timeout=10)
    assert not [r for r in caplog.records if r.getMessage().startswith("Enqueued")]
    inbound_queue.enqueue_now([102])  # any other thread keeps django-q2's line
    assert [r for r in caplog.records if r.getMessage().startswith("Enqueued")]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_with_redis_the_rate_limit_counts_outside_the_database(
    client: Client, db: None, settings: Any
) -> None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs REDIS_URL (a Redis database of its own)")
    settings.REDIS_URL = url
    source = factories.make_source(rate_limit_per_minute=2)
    answers = [post_signed(client, source, ORDER).status_code for _ in range(3)]
    if answers[-1] == 202:  # the minute turned between requests: once more
        answers = [post_signed(client, source, ORDER).status_code for _ in range(3)]
    assert answers[-1] == 429
    # The rejected request's storage cap is counted there too: no counter row at all.
    assert not InboundCounter.objects.exists()


def test_while_redis_is_unreachable_the_rate_limit_counts_in_the_database(
    client: Client, db: None, settings: Any
) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    source = factories.make_source(rate_limit_per_minute=2)
    answers = [post_signed(client, source, ORDER).status_code for _ in range(3)]
    if answers[-1] == 202:
        answers = [post_signed(client, source, ORDER).status_code for _ in range(3)]
    assert answers[-1] == 429  # limited, never a 500
    assert InboundCounter.objects.filter(source=source, kind="rate").exists()
