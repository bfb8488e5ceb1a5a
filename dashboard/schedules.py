"""django-q2 schedules of the dashboard: metric rollups, log retention, dead-letter summary."""

from __future__ import annotations

from hub.schedules import Spec

SCHEDULES = [
    Spec(name="dashboard: metric rollups", func="dashboard.tasks.rollup_metrics", minutes=5),
    Spec(name="maintenance: log retention", func="dashboard.tasks.log_retention", minutes=1440),
    Spec(name="maintenance: dead letters", func="dashboard.tasks.dead_letters", minutes=1440),
]
