"""``manage.py check_odoo_fields``: every active rule and hook naming a field Odoo no longer has."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hub.odoo.drift import all_problems


class Command(BaseCommand):
    help = (
        "List every field that an active rule (payload field, condition, trigger field) or "
        "hook (tracked field, domain) names and Odoo no longer has; exit 1 when there is one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = all_problems()
        for what, problem in problems:
            self.stdout.write(f"{what}: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} schema problem(s)")
        self.stdout.write(self.style.SUCCESS("every field named by rules and hooks exists in Odoo"))
