"""`manage.py doctor`: configuration and live checks, one line per finding; non-zero on errors."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hub.ops import doctor


class Command(BaseCommand):
    help = (
        "Check the configuration (system checks, deploy included) and the live pieces: "
        "database, broker, queue timeouts, connection budget, Odoo connections, public URL."
    )
    # The doctor reports the system checks as findings instead of stopping at the first error.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        findings = doctor.run()
        styles = {
            doctor.OK: self.style.SUCCESS,
            doctor.WARNING: self.style.WARNING,
            doctor.ERROR: self.style.ERROR,
        }
        for finding in findings:
            self.stdout.write(styles[finding.level](finding.line()))
        errors = sum(finding.level == doctor.ERROR for finding in findings)
        warnings = sum(finding.level == doctor.WARNING for finding in findings)
        summary = f"{errors} error(s), {warnings} warning(s)"
        if errors:
            raise CommandError(summary)
        self.stdout.write(summary)
