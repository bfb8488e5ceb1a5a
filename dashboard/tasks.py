"""django-q2 task entry point of the dashboard's schedule; it returns a summary string."""

from __future__ import annotations

from dashboard.rollups import rollup_recent


def rollup_metrics() -> str:
    """Every few minutes: today, yesterday and any day whose rollup is missing or incomplete."""
    return rollup_recent()
