"""django-q2 entry points of hub (thin): they take ids and call one service."""

from __future__ import annotations

from hub import unplanned


def plan_events(event_ids: list[int]) -> int:
    """Plan the deliveries of these stored events (queued by hub.unplanned's hand-off), and of
    those stored while it runs."""
    return unplanned.plan_following(event_ids)


def plan_sweep() -> int:
    """Plan every event left unplanned (a lost hand-off or task)."""
    return unplanned.sweep()
