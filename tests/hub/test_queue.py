"""The django-q2 broker configured for this environment accepts and returns a task."""

from __future__ import annotations

import os

import pytest
from django.conf import settings


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set (SQLite/ORM run)")
def test_the_redis_broker_round_trips_a_task_package():
    from django_q.brokers import get_broker

    assert settings.Q_CLUSTER["redis"] == os.environ["REDIS_URL"]
    broker = get_broker(list_key="hub-test-roundtrip")
    broker.purge_queue()
    broker.enqueue("payload-1")
    (task_id, payload), *_ = broker.dequeue()
    broker.acknowledge(task_id)
    assert payload in ("payload-1", b"payload-1")  # redis returns bytes
    assert broker.queue_size() == 0


def test_without_redis_the_orm_broker_is_used():
    if os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL set: the Redis broker is used")
    assert settings.Q_CLUSTER["orm"] == "default"
