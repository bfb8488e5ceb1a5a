"""Old against new under the production server, interleaved: ``python -m bench.serve_compare
<other checkout> [rounds]``.

Two gunicorns as bench/bench_serve.py starts them (the web role's settings), one serving this
checkout and one serving another (a ``git worktree`` of the old revision, with a ``.venv``
link), each on its own throw-away PostgreSQL database, driven alternately by the same 32
senders: the bare view, the inbound URL and ``POST /api/emit/`` (a token, one matching async
rule) of each side, in a different order every round, so the machine's load (other engineers'
runs) hits both alike. Prints per side requests/s, p50, p99, the server CPU per request
(gunicorn's processes and that side's database backends) and the load average.
``BENCH_REQUESTS`` per side and round (default 1,000). ``BENCH_NEW_THREADS`` and
``BENCH_OLD_THREADS`` set each side's gunicorn threads per worker (default: the setting
``HUB_WEB_THREADS``): the same checkout twice compares thread counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from bench import bench_serve as serve


@contextlib.contextmanager
def _server(root: Path, tag: str) -> Iterator[list[serve.Side]]:
    with serve.throwaway_database() as (database_url, _described, backends):
        env = serve._env(database_url)
        serve._manage(env, "manage.py", "migrate", "--noinput", "-v", "0")
        seeded = json.loads(
            serve._manage(env, "-m", "bench.serve_seed", "seed").strip().splitlines()[-1]
        )
        port = serve._free_port()
        sides = [
            serve.Side(f"{tag}: bare view", "/bench/bare/", serve._bare),
            serve.Side(f"{tag}: inbound (202)", seeded["path"], serve._standard(seeded["secret"])),
            serve.Side(f"{tag}: emit (202)", "/api/emit/", serve._emit(seeded["token"])),
        ]
        threads = os.environ.get(f"BENCH_{tag.upper()}_THREADS") or settings.HUB_WEB_THREADS
        try:
            with (
                override_settings(HUB_WEB_THREADS=int(threads)),
                serve.gunicorn(env, port, root=root) as (argv, master),
            ):
                print(f"{tag}: {root}, {argv[argv.index('--threads') + 1]} threads", flush=True)

                def web() -> list[int]:
                    return [master, *serve._children(master)]

                for side in sides:
                    side.port, side.web, side.database = port, web, backends  # type: ignore[attr-defined]
                    serve._drive(port, side, serve.WARMUP, record=False, web=web, database=backends)
                yield sides
        finally:
            if os.environ.get("REDIS_URL"):
                serve._manage(env, "-m", "bench.serve_seed", "purge")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")  # as `python -m bench`
    import django

    django.setup()
    other = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else serve.ROUNDS
    loads = []
    with _server(serve.ROOT, "new") as new, _server(other, "old") as old:
        sides = [old[0], new[0], old[1], new[1], old[2], new[2]]
        for r in range(rounds):
            order = sides if r % 2 == 0 else [*reversed(sides)]
            for side in order:
                serve._drive(
                    side.port,  # type: ignore[attr-defined]
                    side,
                    serve.REQUESTS,
                    record=True,
                    web=side.web,  # type: ignore[attr-defined]
                    database=side.database,  # type: ignore[attr-defined]
                )
            loads.append(os.getloadavg()[0])
    print(f"new: {serve.ROOT}; old: {other}; {rounds} rounds x {serve.REQUESTS} per side")
    for side in sides:
        print(side.line())
    for a, b in ((old[1], old[0]), (new[1], new[0]), (old[2], old[0]), (new[2], new[0])):
        print(
            f"{a.name}: ratio to its bare view {a.rps / b.rps:.2f}, "
            f"server CPU {a.cpu_ms:.2f} / {b.cpu_ms:.2f} ms = {a.cpu_ms / b.cpu_ms:.2f}x"
        )
    print("load average (1 min) after each round: " + ", ".join(f"{x:.1f}" for x in loads))


if __name__ == "__main__":
    main()
