"""Schedules are created idempotently, after migrate and by the command."""

from __future__ import annotations

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
