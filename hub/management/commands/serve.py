"""`manage.py serve [web|workers|poller ...]`: the production process set, or some roles of it."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from hub.ops.processes import ROLES, Supervisor, connection_bound, roles_for
from hub.ops.safety import unsafe_settings


class Command(BaseCommand):
    help = (
        "Run the hub in production: web (gunicorn), workers (qcluster) and the Odoo poller, "
        "or only the roles named (one node per role). Refuses unsafe settings."
    )
    # Our own refusal lines come first and say how to fix each problem; the system checks
    # run after them (self.check below).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "roles", nargs="*", metavar="ROLE",
            help="web, workers, poller or all (default: all three).",
        )  # fmt: skip
        parser.add_argument(
            "--role", action="append", default=[], choices=ROLES, help="Same as a ROLE argument."
        )
        parser.add_argument("--bind", default=settings.HUB_BIND, help="Default: HUB_BIND.")
        parser.add_argument(
            "--port", type=int, default=settings.HUB_PORT, help="Default: HUB_PORT."
        )
        parser.add_argument(
            "--migrate", action="store_true", help="Apply migrations (and schedules) first."
        )

    def handle(
        self,
        *args: Any,
        roles: list[str],
        role: list[str],
        bind: str,
        port: int,
        migrate: bool,
        **options: Any,
    ) -> None:
        names = [*roles, *role]
        unknown = sorted(set(names) - {*ROLES, "all"})
        if unknown:
            raise CommandError(f"unknown role(s) {', '.join(unknown)}: use {', '.join(ROLES)}")
        names = [name for name in ROLES if name in names or not names or "all" in names]
        problems = unsafe_settings()
        for problem in problems:
            self.stderr.write(f"refusing to start: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} unsafe setting(s); see docs/operations.md")
        self.check(display_num_errors=False)
        if migrate:
            call_command("migrate", interactive=False, verbosity=1)
            connections.close_all()  # this process only supervises: no idle connection
        # The children read the port from the environment: the public URL default follows it.
        os.environ["HUB_PORT"] = str(port)
        bounds = connection_bound(names)
        self.stdout.write(
            f"serving {', '.join(names)}"
            + (f" on http://{bind}:{port}" if "web" in names else "")
            + f"; database connections at most {sum(bounds.values())} "
            + f"({', '.join(f'{name} {n}' for name, n in bounds.items())})"
        )
        supervisor = Supervisor(
            roles_for(names, bind=bind, port=port),
            grace=settings.HUB_STOP_GRACE,
            log=lambda line: self.stdout.write(line),
        )
        code = supervisor.run()
        if code:
            raise CommandError("a process of the set exited on its own", returncode=code)
