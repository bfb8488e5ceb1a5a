"""Core app config: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Odoo connections and events"

    def ready(self) -> None:
        from hub import checks  # noqa: F401
