"""`make bench`: run every bench/bench_*.py main(), or only those named on the command line."""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
import time
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    logging.getLogger().setLevel(logging.WARNING)  # results are printed; INFO lines drown them
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    # A throw-away, migrated database (SQLite, or the test_ copy of DATABASE_URL) for every bench.
    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    wanted = sys.argv[1:] or names
    for name in names:
        if name not in wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"--- {name} took {time.perf_counter() - started:.1f} s", flush=True)
        _reset_database()  # each bench starts from a freshly migrated database
    teardown_databases(databases, verbosity=0)
    return 0


def _reset_database() -> None:
    from django.apps import apps
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    # flush also removes what data migrations made: the three standard events.
    importlib.import_module("rules.migrations.0002_standard_events").create_standard_events(
        apps, None
    )


if __name__ == "__main__":
    sys.exit(main())
