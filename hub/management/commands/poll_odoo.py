"""Poll Odoo in the foreground: the same code as the scheduled polls."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hub.models import OdooConnection
from hub.odoo import services

MAX_SLEEP = 60.0


class Command(BaseCommand):
    help = "Poll the active Odoo connections (each at its poll interval) until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Poll once now, then exit.")
        parser.add_argument("--connection", metavar="NAME", help="Only this connection.")

    def handle(
        self, *args: Any, once: bool = False, connection: str | None = None, **options: Any
    ) -> None:
        names = [connection] if connection else None
        if connection and not OdooConnection.objects.filter(name=connection).exists():
            raise CommandError(f"no Odoo connection named {connection!r}")
        try:
            if once:
                qs = OdooConnection.objects.filter(active=True)
                qs = qs.filter(name__in=names) if names else qs
                for pk in qs.values_list("pk", flat=True):
                    self._poll(pk)
                return
            while True:
                for pk in services.claim_due_connections(names=names):
                    self._poll(pk)
                time.sleep(self._sleep_seconds(names))
        except KeyboardInterrupt:
            self.stdout.write("stopped")

    def _poll(self, connection_id: int) -> None:
        results = services.poll_connection(connection_id=connection_id)
        conn = OdooConnection.objects.get(pk=connection_id)
        if conn.last_error and conn.consecutive_failures:
            self.stderr.write(f"{conn.name}: {conn.last_error}")
        for result in results:
            self.stdout.write(f"{conn.name} hook {result.hook_id}: {result.summary()}")

    @staticmethod
    def _sleep_seconds(names: list[str] | None) -> float:
        qs = OdooConnection.objects.filter(active=True)
        qs = qs.filter(name__in=names) if names else qs
        if qs.filter(next_poll_at__isnull=True).exists():
            return 0.5
        soonest = qs.order_by("next_poll_at").values_list("next_poll_at", flat=True).first()
        if soonest is None:
            return MAX_SLEEP
        return min(max((soonest - timezone.now()).total_seconds(), 0.5), MAX_SLEEP)
