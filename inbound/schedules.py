"""Inbound schedules: retries, lost tasks and pruning, every minute."""

from __future__ import annotations

from hub.schedules import Spec

SCHEDULES = [Spec(name="inbound: retry and sweep", func="inbound.tasks.sweep", minutes=1)]
