"""Core app config: registers the system checks and creates the schedules after migrate."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_schedules(**kwargs: Any) -> None:
    from hub.schedules import ensure_schedules

    ensure_schedules()


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Odoo connections and events"

    def ready(self) -> None:
        from django.contrib import admin
        from django.urls import reverse_lazy

        from hub import checks  # noqa: F401
        from hub.odoo.drift import rule_problems
        from rules.problems import register

        # Schema drift on rules: rules sits below the connector and cannot ask Odoo itself.
        register(rule_problems)

        # The admin's "View site" link: the hub's own page is the dashboard (/ has no page).
        # A lazy str (the URLconf is not loaded in ready()); Django renders it like a str.
        admin.site.site_url = reverse_lazy("dashboard:index")  # type: ignore[assignment]
        # The app sidebar takes 300 px of every page: on a 1,366 px screen the lists and the
        # rule form need them (navigation stays in the breadcrumbs and on the index).
        admin.site.enable_nav_sidebar = False

        # Idempotent: `migrate` leaves every schedule in place, created or updated.
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="hub.ensure_schedules")
