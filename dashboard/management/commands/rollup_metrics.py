"""Recompute the daily metric rollups on demand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.rollups import LOOKBACK_DAYS, rollup_days


class Command(BaseCommand):
    help = (
        "Recompute the metric rollups of the last N days (today included). Days older than the "
        "log retention window keep their rollup (their logs may be gone) unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=2)
        parser.add_argument(
            "--force", action="store_true", help="Recompute frozen days too (may lose history)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 3660:
            raise CommandError("--days must be between 1 and 3660")
        done = rollup_days(days=days, force=options["force"])
        skipped = days - len(done)
        self.stdout.write(f"rolled up {len(done)} day(s)")
        if skipped:
            self.stdout.write(f"kept {skipped} frozen day(s) (older than the retention window)")
        if days > LOOKBACK_DAYS:
            self.stdout.write(f"note: the dashboard shows at most {LOOKBACK_DAYS} days")
