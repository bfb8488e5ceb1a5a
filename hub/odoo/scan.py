"""Cheap polls: which part of the write_date window to scan, and which records to read in full.

A poll first scans ids and ``write_date`` only; a record is read in full when it is new, its
``write_date`` differs from its snapshot's, or it is not *settled* yet.

Settled: ``write_date`` has one-second resolution, so a record read during the second of its
``write_date`` can be written again in that second without its ``write_date`` changing. The
hook's cursor is kept as a lower bound of Odoo's clock at the hub's last full reads, so every
snapshot whose ``write_date`` is earlier than the cursor was read after its second had ended:
an equal (id, write_date) then means an unchanged record. Rows at or after the cursor are read
in full again. Odoo's clock is known from the write_dates the hub has seen (a committed
``write_date`` S means Odoo's clock passed S), plus the time elapsed on the hub's own clock
since (both clocks run at the same rate; only durations are used, so a skew does not matter).

Windows: every poll scans the recent part, ``[cursor - HUB_ODOO_RECENT_WINDOW, ...)``; the
whole overlap is scanned every ``HUB_ODOO_OVERLAP_SCAN_SECONDS``, starting at the cursor of the
previous overlap scan minus ``HUB_ODOO_POLL_OVERLAP``, so no late commit falls between two
overlap scans: one that commits later than the recent window is seen, up to that many seconds
later.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections

from hub.lib.bulk import rows_per_statement
from hub.models import ModelHook, RecordSnapshot

ODOO_DT = "%Y-%m-%d %H:%M:%S"
# The hub's clock is trusted for durations only, with this much slack (a clock step, a slow
# poll) before elapsed time counts as evidence that Odoo's clock moved on.
CLOCK_SLACK = timedelta(seconds=2)


def recent_window() -> timedelta:
    return timedelta(seconds=settings.HUB_ODOO_RECENT_WINDOW)


def overlap_scan_every() -> float:
    return float(settings.HUB_ODOO_OVERLAP_SCAN_SECONDS)


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ODOO_DT)


def _anchor_key(hook_id: int) -> str:
    return f"hub:odoo:clock:{hook_id}"


def observed(hook_id: int, write_date: str, *, at: float | None = None) -> None:
    """Odoo's clock was at least `write_date` at hub time `at` (a committed write seen now)."""
    if write_date:
        anchor = cache.get(_anchor_key(hook_id))
        if anchor is None or write_date > anchor[0]:
            cache.set(_anchor_key(hook_id), (write_date, at or time.time()), timeout=24 * 3600)


def clock_floor(hook: ModelHook, *, now: float | None = None) -> datetime | None:
    """A lower bound of Odoo's clock now: the latest write_date seen (the anchor), plus the
    hub time elapsed since it was seen, less the slack; whole seconds, never below the cursor.
    The anchor lives in the cache; when it is lost, the cursor anchors anew (no progress for
    the slack and one second, which only means a few records read once more)."""
    if hook.cursor is None:
        return None
    anchor = cache.get(_anchor_key(hook.pk))
    if anchor is None:
        observed(hook.pk, _fmt(hook.cursor), at=now)
        return hook.cursor
    written, seen_at = anchor
    elapsed = timedelta(seconds=(now or time.time()) - seen_at) - CLOCK_SLACK
    floor = datetime.strptime(written, ODOO_DT).replace(tzinfo=UTC) + max(elapsed, timedelta(0))
    return max(floor.replace(microsecond=0), hook.cursor)


# --- which window ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    since: str | None  # lower write_date bound (None: everything)
    full: bool  # True when this scan covers the whole overlap


def _key(hook_id: int) -> str:
    return f"hub:odoo:overlap-scan:{hook_id}"


def choose_window(hook: ModelHook, *, overlap: timedelta) -> Window:
    """The recent part, or the whole overlap when its scan is due. The time and cursor of the
    last overlap scan live in the cache: when they are lost (restart, another worker), the
    overlap is scanned now, which only costs a little more."""
    if hook.cursor is None:
        return Window(since=None, full=True)
    last = cache.get(_key(hook.pk))
    if last is None or time.monotonic() - last[0] >= overlap_scan_every():
        start = min(hook.cursor, last[1]) if last else hook.cursor
        return Window(since=_fmt(start - overlap), full=True)
    return Window(since=_fmt(hook.cursor - recent_window()), full=False)


def overlap_scanned(hook: ModelHook, cursor: datetime | None) -> None:
    """Remember an overlap scan that completed, from `cursor` (the cursor it started from)."""
    if cursor is not None:
        cache.set(_key(hook.pk), (time.monotonic(), cursor), timeout=24 * 3600)


def forget(hook_id: int) -> None:
    cache.delete_many([_key(hook_id), _anchor_key(hook_id)])


# --- which records -----------------------------------------------------------------------------
def snapshot_rows(hook: ModelHook, ids: list[int], columns: tuple[str, ...]) -> Iterator[tuple]:
    """(record_id, *columns) of these records' snapshots. Raw SQL: for the thousands of ids of
    a busy poll, the ORM's IN list and per-row conversions cost more than the query."""
    conn = connections[RecordSnapshot.objects.db]
    quote = conn.ops.quote_name
    select = (
        f"SELECT {', '.join(quote(c) for c in ('record_id', *columns))} "  # noqa: S608
        f"FROM {quote(RecordSnapshot._meta.db_table)} "
        f"WHERE {quote('hook_id')} = %s AND {quote('record_id')} IN "
    )
    chunk = rows_per_statement(conn, 1) - 1  # one parameter is the hook
    with conn.cursor() as cursor:
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            cursor.execute(select + f"({', '.join(['%s'] * len(part))})", [hook.pk, *part])
            yield from cursor.fetchall()


def snapshot_dates(hook: ModelHook, ids: list[int]) -> dict[int, str]:
    return dict(snapshot_rows(hook, ids, ("write_date",)))


def stale(
    scanned: Iterable[tuple[int, str]], known: dict[int, str], *, settled_before: str
) -> list[tuple[int, str]]:
    """Scanned (id, write_date) rows to read in full: new, rewritten, or not settled yet."""
    return [
        (rid, written)
        for rid, written in scanned
        if known.get(rid) != written or not written or written >= settled_before
    ]


def page_cursors(pages: list[list[tuple[int, str]]], *, bound: str) -> list[str]:
    """The cursor to commit with each page of full reads (pages in write_date order): up to
    the next unread write_date, never past `bound` (Odoo's clock before the reads began);
    the last page commits `bound`."""
    cursors = []
    for index in range(len(pages)):
        following = pages[index + 1][0][1] if index + 1 < len(pages) else bound
        cursors.append(min(following, bound))
    return cursors


def read_bound(floor: datetime | None, scanned: list[tuple[int, str]], cursor: str | None) -> str:
    """Odoo's clock was at least this when the scan answered: full reads made after it saw
    every record whose write_date is earlier after its second ended."""
    candidates = [c for c in (cursor, floor and _fmt(floor)) if c]
    candidates += [max(w for _, w in scanned if w)] if any(w for _, w in scanned) else []
    return max(candidates) if candidates else ""
