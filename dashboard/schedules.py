"""django-q2 schedules of the dashboard: metric rollups (it writes only its own rollup tables)."""

from __future__ import annotations

from hub.schedules import Spec

SCHEDULES = [
    Spec(name="dashboard: metric rollups", func="dashboard.tasks.rollup_metrics", minutes=5),
]
