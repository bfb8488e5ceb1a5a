"""Queue hand-off (hub.lib.queue): one broker per thread, tasks land on the configured broker."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django_q.signing import SignedPackage

from hub.lib import queue

# the ORM broker opens a database connection per thread
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_thread_reuses_its_broker_and_other_threads_get_their_own() -> None:
    mine = queue.broker()
    theirs: list[object] = []

    def other_thread() -> None:
        theirs.append(queue.broker())
        connections.close_all()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(timeout=5)
    assert queue.broker() is mine
    assert theirs and theirs[0] is not mine


def test_an_enqueued_task_reaches_the_broker_with_its_arguments() -> None:
    broker = queue.broker()
    broker.purge_queue()
    queue.enqueue("delivery.tasks.deliver", [3, 1, 2], group="delivery", sync=False)
    (task_id, package), *rest = broker.dequeue()
    broker.acknowledge(task_id)
    task = SignedPackage.loads(package)
    assert (task["func"], task["args"], task["group"], rest) == (
        "delivery.tasks.deliver",
        ([3, 1, 2],),
        "delivery",
        [],
    )
