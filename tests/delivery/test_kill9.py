"""A real `kill -9` of a worker in the middle of an attempt: the delivery is sent again once the
lease runs out, with the same webhook-id, and exactly one success is recorded.

The worker is its own process with the production settings, running `delivery.tasks.deliver`
(what a django-q2 worker runs for a queued delivery) against this test's database, so it needs
PostgreSQL: pytest-django's SQLite test database lives in this process's memory.
`test_lanes.py` covers the same recovery with an abandoned claim on every database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection

from delivery import lanes, sweeps
from delivery.models import LogStatus, WebhookLog, WebhookRetry
from tests.delivery.test_lanes import record
from tests.factories import make_rule
from tests.fakes.receiver import Receiver, Reply
from tests.ops.processes import ROOT, database_url_for, production_env

LEASE = 4  # seconds (HUB_DELIVERY_LEASE, default 60): renewed every third of it
WAIT = 60.0  # seconds: every wait below is bounded by this

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the worker process must see our rows
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process shares the test database: PostgreSQL (SQLite's is in memory)",
    ),
]


def _until(check, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {WAIT:.0f} s: {what}")


def start_worker(log_id: int) -> subprocess.Popen:
    env = production_env(
        database_url_for(connection.settings_dict["NAME"], os.environ["DATABASE_URL"]),
        HUB_DELIVERY_LEASE=str(LEASE),
    )
    code = f"from delivery import tasks; tasks.deliver([{log_id}])"
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_attempt_is_resent_after_its_lease_with_the_same_webhook_id(
    settings,
) -> None:
    settings.HUB_DELIVERY_LEASE = LEASE
    # The first request is held open (the worker is killed while awaiting it); then 200.
    with Receiver(script=[Reply(delay=WAIT)], default=200) as receiver:
        make_rule(url=receiver.url_for())
        record(1)
        log = WebhookLog.objects.get()
        worker = start_worker(log.pk)
        try:
            (held,) = receiver.wait_for(1, timeout=WAIT)  # the attempt is in flight
            log.refresh_from_db()
            assert (log.status, log.claimed_by != "") == (LogStatus.PENDING, True)
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(WAIT) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(WAIT)
        killed_at = time.monotonic()
        log.refresh_from_db()
        # Nobody takes it over while its (last renewed) lease holds ...
        assert sweeps.lost_logs(now=log.claimed_at + lanes.lease() / 2) == []
        assert (
            lanes.claim(token="other", limit=10, now=log.claimed_at + timedelta(seconds=1)).ids
            == []
        )
        # ... and once it has run out, the lost-task sweep (every minute) sends it again.
        _until(lambda: sweeps.lost_logs() == [log.pk], "the lease runs out")
        sweeps.lost_task_sweep()  # the test queue sends inline
        first, again = receiver.wait_for(2, timeout=WAIT)
        resent_after = time.monotonic() - killed_at
    assert held is first
    assert again.header("webhook-id") == first.header("webhook-id") == log.delivery_id
    assert again.body == first.body  # the same bytes, re-signed
    log.refresh_from_db()
    assert (log.status, log.attempt, log.response_status) == (LogStatus.SUCCESS, 1, 200)
    assert WebhookLog.objects.filter(delivery_id=log.delivery_id).count() == 1
    assert not WebhookRetry.objects.exists()  # the kill spent no attempt
    assert log.event.success_count == 1
    print(f"resent {resent_after:.1f} s after the kill (lease {LEASE} s)")
