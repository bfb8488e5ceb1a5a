"""Schedules are created idempotently, after migrate and by the command, and found by name."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from hub.schedules import all_specs, ensure_schedules


@pytest.mark.django_db
def test_every_declared_schedule_exists_once_after_running_twice():
    ensure_schedules()
    call_command("setup_schedules")
    names = [spec.name for spec in all_specs()]
    assert len(names) == len(set(names))
    for name in names:
        assert Schedule.objects.filter(name=name).count() == 1


@pytest.mark.django_db
def test_a_changed_interval_is_updated_in_place():
    specs = all_specs()
    if not specs:
        pytest.skip("no app declares schedules yet")
    ensure_schedules()
    Schedule.objects.filter(name=specs[0].name).update(minutes=999)
    ensure_schedules()
    assert Schedule.objects.get(name=specs[0].name).minutes == specs[0].minutes


@pytest.mark.django_db
def test_setup_schedules_points_an_existing_schedule_at_the_moved_task() -> None:
    # A database set up before the maintenance jobs left the dashboard app.
    Schedule.objects.all().delete()
    Schedule.objects.create(
        name="maintenance: log retention",
        func="dashboard.tasks.log_retention",
        schedule_type=Schedule.MINUTES,
        minutes=1440,
        repeats=-1,
    )
    call_command("setup_schedules")
    moved = Schedule.objects.get(name="maintenance: log retention")
    assert moved.func == "hub.maintenance.tasks.log_retention"
    assert Schedule.objects.filter(func__contains="log_retention").count() == 1


@pytest.mark.django_db
def test_every_scheduled_task_can_be_imported() -> None:
    for spec in all_specs():
        module, _, name = spec.func.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), spec.func


def test_the_dashboard_schedules_nothing_but_its_rollups() -> None:
    assert {s.func for s in all_specs() if s.func.startswith("dashboard.")} == {
        "dashboard.tasks.rollup_metrics"
    }
