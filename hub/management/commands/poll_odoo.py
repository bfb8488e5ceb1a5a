"""Poll Odoo in the foreground: the same code as the scheduled polls, or a long-running poller."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hub.models import OdooConnection
from hub.odoo import runner, services
from hub.odoo.poller import PollResult


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (the production set's stop, a container's stop) ends the poller like Ctrl-C: the
    # running poll's transaction rolls back and its hook lease is released on the way out.
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Poll the active Odoo connections, each at its poll interval (down to 1 s) and at "
        "once when nudged, until Ctrl-C or SIGTERM; --once polls every connection now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Poll once now, then exit.")
        parser.add_argument("--connection", metavar="NAME", help="Only this connection.")

    def handle(
        self, *args: Any, once: bool = False, connection: str | None = None, **options: Any
    ) -> None:
        names = [connection] if connection else None
        if connection and not OdooConnection.objects.filter(name=connection).exists():
            raise CommandError(f"no Odoo connection named {connection!r}")
        main = threading.current_thread() is threading.main_thread()  # signals: main only
        previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
        try:
            if once:
                qs = OdooConnection.objects.filter(active=True)
                qs = qs.filter(name__in=names) if names else qs
                for pk in qs.values_list("pk", flat=True):
                    results = services.poll_connection(connection_id=pk)
                    self._report(OdooConnection.objects.get(pk=pk), results)
                return
            self.stdout.write("polling Odoo (Ctrl-C or SIGTERM stops)")
            self.stdout.flush()
            # `time.sleep` looked up at each call: tests replace it.
            runner.run(names=names, sleep=lambda s: time.sleep(s), report=self._report)
        except KeyboardInterrupt:
            self.stdout.write("stopped")
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    def _report(self, conn: OdooConnection, results: list[PollResult]) -> None:
        if conn.last_error and conn.consecutive_failures:
            self.stderr.write(f"{conn.name}: {conn.last_error}")
        for result in results:
            self.stdout.write(f"{conn.name} hook {result.hook_id}: {result.summary()}")
