"""Schedules of the delivery app (created idempotently by hub.schedules)."""

from __future__ import annotations

from hub.schedules import Spec

SCHEDULES = [
    Spec("delivery: retry sweep", "delivery.tasks.retry_sweep", minutes=1),
    Spec("delivery: lost-task sweep", "delivery.tasks.lost_task_sweep", minutes=1),
]
