"""django-q2 entry points (thin): they take ids and call one service."""

from __future__ import annotations

from delivery import presence, sender, sending, sweeps


def deliver(log_ids: list[int], kicked: bool = False) -> int:
    """Send these deliveries, then keep the lanes moving: any other pending work (a pump).

    kicked: queued for the deliveries recorded while no sender ran (delivery.presence); those
    recorded since queued nothing, so it follows every lane even when its own ids were sent
    meanwhile."""
    if kicked:
        presence.kick_taken()  # first: a delivery recorded from now on queues its own task
        return sender.pump(follow=True)
    return sending.deliver(log_ids, follow=True)


def retry_sweep() -> int:
    return sweeps.retry_sweep()


def lost_task_sweep() -> int:
    return sweeps.lost_task_sweep()
