"""django-q2 entry points (thin): they take ids and call one service."""

from __future__ import annotations

from delivery import sweeps
from delivery.services import deliver as deliver_logs


def deliver(log_ids: list[int]) -> int:
    return deliver_logs(log_ids=log_ids)


def retry_sweep() -> int:
    return sweeps.retry_sweep()


def lost_task_sweep() -> int:
    return sweeps.lost_task_sweep()
