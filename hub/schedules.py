"""django-q2 schedules, created idempotently (after migrate and by `manage.py setup_schedules`).

Each app lists its own in `<app>/schedules.py` as ``SCHEDULES = [Spec(...), ...]``.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

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


def ensure_schedules() -> list[str]:
    """Create or update every schedule; returns their names. Safe to call any number of times."""
    from django_q.models import Schedule

    names = []
    for spec in all_specs():
        Schedule.objects.update_or_create(
            name=spec.name,
            defaults={
                "func": spec.func,
                "args": spec.args or None,
                "schedule_type": Schedule.MINUTES,
                "minutes": spec.minutes,
                "repeats": -1,
            },
        )
        names.append(spec.name)
    logger.info("schedules ensured: %s", ", ".join(names) or "none")
    return names
