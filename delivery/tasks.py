"""django-q2 entry points (thin): they take ids and call one service."""

from __future__ import annotations

from delivery import sending, sweeps


def deliver(log_ids: list[int]) -> int:
    """Send these deliveries, then keep the lanes moving: any other pending work (a pump)."""
    return sending.deliver(log_ids, follow=True)


def retry_sweep() -> int:
    return sweeps.retry_sweep()


def lost_task_sweep() -> int:
    return sweeps.lost_task_sweep()
