"""Odoo connector schedules: the poll dispatcher (each connection then polls at its interval)."""

from __future__ import annotations

from hub.schedules import Spec

SCHEDULES = [Spec(name="odoo: dispatch polls", func="hub.odoo.tasks.dispatch_polls", minutes=1)]
