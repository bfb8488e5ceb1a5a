"""Schedules of the maintenance jobs (found again by name, so a moved task keeps its schedule)."""

from __future__ import annotations

from hub.schedules import Spec

SCHEDULES = [
    Spec(
        name="maintenance: log retention", func="hub.maintenance.tasks.log_retention", minutes=1440
    ),
    Spec(name="maintenance: dead letters", func="hub.maintenance.tasks.dead_letters", minutes=1440),
]
