"""The delivery schedules exist after set-up and their tasks run."""

from __future__ import annotations

import pytest
from django_q.models import Schedule

from delivery import tasks
from hub.schedules import ensure_schedules

pytestmark = pytest.mark.django_db


def test_the_retry_and_lost_task_sweeps_are_scheduled_every_minute() -> None:
    ensure_schedules()
    ensure_schedules()  # idempotent
    sweeps = Schedule.objects.filter(func__startswith="delivery.tasks.")
    assert {(s.func, s.minutes) for s in sweeps} == {
        ("delivery.tasks.retry_sweep", 1),
        ("delivery.tasks.lost_task_sweep", 1),
    }


def test_the_sweep_tasks_run_on_an_empty_queue() -> None:
    assert tasks.retry_sweep() == 0
    assert tasks.lost_task_sweep() == 0
    assert tasks.deliver([]) == 0
