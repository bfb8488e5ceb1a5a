"""Create N back-dated delivery log rows in bulk (demo data and `make bench`)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard.seeding import seed_inbound, seed_logs


class Command(BaseCommand):
    help = (
        "Create COUNT WebhookLog rows spread over the last --days days, for several rules, "
        "models and urls, inserted in chunks (executemany on SQLite, COPY on PostgreSQL). "
        "Then run `rollup_metrics --days N`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--rules", type=int, default=5)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--inbound", type=int, default=0, help="Also N inbound requests.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (repeatable data).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        created = seed_logs(
            count=options["count"],
            days=options["days"],
            rules=options["rules"],
            batch_size=options["batch_size"],
            seed=options["seed"],
        )
        if options["inbound"]:
            seed_inbound(count=options["inbound"], days=options["days"], seed=options["seed"] + 1)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"created {created} log rows in {elapsed:.1f} s")
