"""django-q2 schedules, created idempotently (after migrate and by `manage.py setup_schedules`).

Each app lists its own in `<app>/schedules.py` as ``SCHEDULES = [Spec(...), ...]``.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

logger = logging.getLogger(__name__)

APPS = ("hub.odoo", "rules", "delivery", "inbound", "dashboard", "hub.maintenance")


@dataclass(frozen=True)
class Spec:
    name: str  # unique, stable: the schedule is found again by it
    func: str  # dotted path of the task
    minutes: int = 1  # run every N minutes
    args: str = ""


# hub's own: the events POST /api/emit/ stored whose planning hand-off was lost (hub.unplanned).
SCHEDULES = [Spec("events: plan unplanned", "hub.tasks.plan_sweep", minutes=1)]


def all_specs() -> list[Spec]:
    specs: list[Spec] = list(SCHEDULES)
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.schedules":
                raise
            continue
        specs.extend(getattr(module, "SCHEDULES", []))
    return specs


def first_runs(specs: list[Spec], now: datetime) -> dict[str, datetime]:
    """When a new schedule first runs: the schedules of one interval are spread evenly over it,
    in declaration order. django-q2 keeps each schedule's phase (next run = last next run +
    interval), and its scheduler looks every 30 s; left at "now", every minute-schedule would be
    queued in the same tick, so once a minute six tasks took both workers at once while deliveries
    waited behind them (the steady bench's tail), and the daily jobs ran at every new install."""
    by_interval: dict[int, list[Spec]] = {}
    for spec in specs:
        by_interval.setdefault(spec.minutes, []).append(spec)
    runs = {}
    for minutes, group in by_interval.items():
        step = timedelta(minutes=minutes) / (len(group) + 1)
        for index, spec in enumerate(group, start=1):
            runs[spec.name] = now + step * index
    return runs


def ensure_schedules() -> list[str]:
    """Create or update every schedule; returns their names. Safe to call any number of times.
    An existing schedule keeps its next run (its phase); a new one gets ``first_runs``'."""
    from django.utils import timezone
    from django_q.models import Schedule

    specs = all_specs()
    first = first_runs(specs, timezone.now())
    names = []
    for spec in specs:
        defaults = {
            "func": spec.func,
            "args": spec.args or None,
            "schedule_type": Schedule.MINUTES,
            "minutes": spec.minutes,
            "repeats": -1,
        }
        Schedule.objects.update_or_create(
            name=spec.name,
            defaults=defaults,
            create_defaults={**defaults, "next_run": first[spec.name]},
        )
        names.append(spec.name)
    logger.info("schedules ensured: %s", ", ".join(names) or "none")
    return names
