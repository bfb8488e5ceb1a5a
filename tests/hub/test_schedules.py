"""Schedules are created idempotently, after migrate and by the command, and found by name."""

from __future__ import annotations

import importlib
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.utils import timezone
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


@pytest.mark.django_db
def test_new_schedules_of_one_interval_first_run_spread_over_it_and_keep_their_phase() -> None:
    Schedule.objects.all().delete()
    before = timezone.now()
    ensure_schedules()
    every_minute = [spec.name for spec in all_specs() if spec.minutes == 1]
    assert len(every_minute) >= 2
    runs = sorted(Schedule.objects.get(name=name).next_run for name in every_minute)
    assert len(set(runs)) == len(runs)  # no two queued in the same scheduler tick by design
    assert before < runs[0] and runs[-1] < before + timedelta(minutes=1)
    gaps = [later - earlier for earlier, later in pairwise(runs)]
    assert min(gaps) >= timedelta(seconds=60 / (len(runs) + 1)) - timedelta(seconds=1)
    daily = [spec.name for spec in all_specs() if spec.minutes == 1440]
    for name in daily:  # not at every new install: within the day
        assert Schedule.objects.get(name=name).next_run > before + timedelta(hours=1)
    # Running again (every migrate) keeps each schedule's phase.
    kept = dict(Schedule.objects.values_list("name", "next_run"))
    ensure_schedules()
    assert dict(Schedule.objects.values_list("name", "next_run")) == kept
