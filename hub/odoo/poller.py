"""Poll one ModelHook: write_date window with an overlap, snapshot diffs, id reconciliation.

Algorithm (docs/odoo.md explains the guarantees):
1. Window: ``[('write_date', '>=', cursor - overlap)] + hook domain``, ordered
   ``write_date asc, id asc``, context ``active_test: False`` (archiving is a write of
   ``active``). ``>=`` on a whole second means the same in Odoo 16-18 and 19.
2. Pages: a full page is processed up to (excluding) its last second, and the next page starts
   at that second; a page lying entirely inside one second is walked by id within that second.
   No offsets: a record rewritten while we page moves to the end instead of shifting others.
3. Each record is compared with its snapshot: no snapshot -> create (or, for an old record
   entering the hook's domain, a write with unknown "before"); tracked fields changed -> write;
   nothing tracked changed, own write (write_uid = the connection's user), or an event code the
   hook does not watch -> the snapshot is updated silently. Re-reading the overlap therefore
   emits nothing twice, and two writes in one second are both seen (values, not dates, decide).
4. Each page commits its events, snapshots and the cursor (max write_date processed) in one
   transaction, under the hook's lease.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from hub.events import NewEvent, record_events
from hub.lib.bulk import rows_per_statement
from hub.models import ModelHook, RecordSnapshot
from hub.odoo import scan, state
from hub.odoo.client import OdooClient
from hub.odoo.deletes import find_deletes
from hub.odoo.deletes import forget as forget_deletes
from hub.odoo.echo import ECHO, PENDING, classify
from hub.odoo.fields import ReadPlan, build_plan, cached_describe, comparable, diff, expand, wire
from hub.odoo.state import watched_codes
from rules.domain import parse_domain
from rules.matching import needed_paths

logger = logging.getLogger(__name__)
ODOO_DT = "%Y-%m-%d %H:%M:%S"
ACTIVE_TEST_OFF = {"active_test": False}
ORDER = "write_date asc, id asc"


def overlap() -> timedelta:
    return timedelta(seconds=settings.HUB_ODOO_POLL_OVERLAP)


def batch_size() -> int:
    return int(settings.HUB_ODOO_BATCH_SIZE)


def reconcile_every() -> timedelta:
    return timedelta(seconds=settings.HUB_ODOO_RECONCILE_SECONDS)


def to_odoo(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(ODOO_DT)


@functools.lru_cache(maxsize=4096)  # a busy page repeats each second's write_date many times
def from_odoo(text: str) -> datetime:
    return datetime.strptime(text[:19], ODOO_DT).replace(tzinfo=UTC)


def next_second(text: str) -> str:
    return to_odoo(from_odoo(text) + timedelta(seconds=1))


# --- pure core -----------------------------------------------------------------------------------
@dataclass
class Snap:
    write_date: str
    values: dict[str, Any]


@dataclass
class Decision:
    code: str | None = None  # event to emit, if any
    changes: dict[str, Any] | None = None
    store: bool = False  # write the snapshot


def user_of(row: dict[str, Any]) -> dict[str, Any] | None:
    uid = row.get("write_uid")
    if isinstance(uid, list) and uid:
        return {"id": uid[0], "name": uid[1] if len(uid) > 1 else None}
    return None


def unchanged(snap: Snap, row: dict[str, Any]) -> bool:
    return snap.write_date == (row.get("write_date") or "") and all(
        name in snap.values and comparable(snap.values[name]) == comparable(value)
        for name, value in row.items()
    )


def decide(
    row: dict[str, Any],
    snap: Snap | None,
    *,
    plan: ReadPlan,
    own_uid: int | None,
    ignore_own: bool,
    watched: set[str],
    baseline: bool,
    window_start: str | None,
    echo: str | None = None,
) -> Decision:
    if snap is not None and unchanged(snap, row):
        return Decision()  # the overlap re-read a record we already know: nothing at all
    if baseline:
        return Decision(store=True)
    if echo == PENDING:
        return Decision()  # the hub is writing it right now: look again on the next poll
    if echo == ECHO:
        return Decision(store=True)  # exactly what the hub wrote (hub.odoo.echo): no echo
    user = user_of(row)
    if ignore_own and own_uid and user and user["id"] == own_uid:
        return Decision(store=True)  # the hub's own write (e.g. an inbound upsert): no echo
    if snap is None:
        created = row.get("create_date") or ""
        if window_start is None or not created or created >= window_start:
            code, changes = "create", None
        else:
            # Created long ago, first seen now: it entered the hook's domain. Its "before" is
            # unknown, so every tracked field is reported with before = null.
            code = "write"
            changes = {f: {"before": None, "after": wire(row[f])} for f in plan.tracked if f in row}
    else:
        changes = diff(snap.values, row, plan.tracked)
        if not changes:
            return Decision(store=True)  # only untracked fields changed
        code = "write"
    if code not in watched:
        return Decision(store=True)
    return Decision(code=code, changes=changes, store=True)


def window_pages(
    client: OdooClient,
    *,
    model: str,
    domain: list,
    fields: list[str],
    since: str | None,
    batch: int,
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """Yield (rows, cursor after these rows) over the write_date window, oldest first."""
    lower = since
    while True:
        bounded = [("write_date", ">=", lower)] if lower else []
        rows = client.search_read(
            model, bounded + domain, fields, limit=batch, order=ORDER, context=ACTIVE_TEST_OFF
        )
        if len(rows) < batch:
            yield rows, max((r.get("write_date") or "" for r in rows), default="") or lower
            return
        first, last = rows[0].get("write_date") or "", rows[-1].get("write_date") or ""
        if first < last:
            done = [r for r in rows if (r.get("write_date") or "") < last]
            yield done, done[-1].get("write_date") or lower
            lower = last
            continue
        yield from _one_second(
            client, model=model, domain=domain, fields=fields, second=last, batch=batch
        )
        lower = next_second(last)


def _one_second(
    client: OdooClient, *, model: str, domain: list, fields: list[str], second: str, batch: int
) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """More than a page of records written in one second: walk them by id."""
    last_id = 0
    within = [("write_date", ">=", second), ("write_date", "<", next_second(second))]
    while True:
        rows = client.search_read(
            model,
            [*within, ("id", ">", last_id), *domain],
            fields,
            limit=batch,
            order="id asc",
            context=ACTIVE_TEST_OFF,
        )
        yield rows, second
        if len(rows) < batch:
            return
        last_id = rows[-1]["id"]


# --- database layer ------------------------------------------------------------------------------
@dataclass
class PollResult:
    hook_id: int
    busy: bool = False
    baseline: bool = False
    seen: int = 0
    events: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    calls: int = 0

    def summary(self) -> str:
        if self.busy:
            return "skipped: another poll of this hook is running"
        what = ", ".join(f"{n} {code}" for code, n in sorted(self.events.items())) or "no events"
        head = "baseline taken" if self.baseline else what
        return f"{head}; {self.seen} records read, {self.deleted} deletions found"


def plan_for(hook: ModelHook, client: OdooClient) -> ReadPlan:
    describe = cached_describe(hook.connection_id, client)
    needed = needed_paths(model=hook.model, connection_id=hook.connection_id)
    plan = build_plan(
        model=hook.model, describe=describe, tracked=hook.tracked_fields or [], needed=needed
    )
    if plan.skipped:
        logger.warning("hook %s: unknown field paths skipped: %s", hook.pk, plan.skipped)
    return plan


def resolve(client: OdooClient, hook: ModelHook, plan: ReadPlan, rows: list[dict]) -> None:
    if plan.tree and rows:
        expand(
            model=plan.model,
            rows=rows,
            tree=plan.tree,
            describe=cached_describe(hook.connection_id, client),
            fetch=client.read_related,
        )


def load_snaps(hook: ModelHook, ids: list[int]) -> dict[int, Snap]:
    rows = scan.snapshot_rows(hook, ids, ("write_date", "values"))
    return {rid: Snap(written, json.loads(values)) for rid, written, values in rows}


def save_snaps(hook: ModelHook, stored: dict[int, Snap]) -> None:
    """Upsert snapshots with INSERT ... ON CONFLICT DO UPDATE, as many rows per statement as
    the backend takes (SQLite and PostgreSQL): raw SQL, because an all-changed page spent most
    of its database time in the ORM preparing each field of each row."""
    if not stored:
        return
    conn = connections[RecordSnapshot.objects.db]
    quote = conn.ops.quote_name
    now = conn.ops.adapt_datetimefield_value(timezone.now())
    names = ("hook_id", "record_id", "write_date", "values", "updated_at")
    cols = ", ".join(quote(c) for c in names)
    rows = [(hook.pk, rid, s.write_date, json.dumps(s.values), now) for rid, s in stored.items()]
    per_statement = rows_per_statement(conn, len(names))
    with conn.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {quote(RecordSnapshot._meta.db_table)} ({cols}) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                + f" ON CONFLICT ({quote('hook_id')}, {quote('record_id')}) DO UPDATE SET "
                + ", ".join(
                    f"{quote(c)} = excluded.{quote(c)}"
                    for c in ("write_date", "values", "updated_at")
                ),
                [value for row in chunk for value in row],
            )


def event_for(hook: ModelHook, row: dict[str, Any], decision: Decision) -> NewEvent:
    written = row.get("write_date")
    return NewEvent(
        model=hook.model,
        event_code=decision.code or "",
        record_id=row["id"],
        data=row,
        changes=decision.changes,
        user=user_of(row),
        source=hook.connection.name,
        connection=hook.connection,
        occurred_at=from_odoo(written) if written else None,
    )


def commit_page(
    hook: ModelHook,
    token: datetime,
    rows: list[dict],
    *,
    snaps: dict[int, Snap],
    plan: ReadPlan,
    own_uid: int | None,
    baseline: bool,
    window_start: str | None,
    cursor: str | None,
    result: PollResult,
    recorded: list[str] | None = None,
) -> datetime:
    """Decide, then write events + snapshots + cursor in one transaction under the lease
    (the recorded event ids are appended to `recorded` when given)."""
    stored: dict[int, Snap] = {}
    events: list[NewEvent] = []
    watched = watched_codes(hook)
    # Echo suppression (issue 12 item 2, hub.odoo.echo): the hub's own writes, exactly.
    echoes = (
        classify(
            connection_id=hook.connection_id,
            model=hook.model,
            rows=rows,
            snaps=snaps,
            tracked=plan.tracked,
        )
        if hook.echo_suppression == "exact" and not baseline
        else {}
    )
    for row in rows:
        decision = decide(
            row,
            snaps.get(row["id"]),
            plan=plan,
            own_uid=own_uid,
            ignore_own=hook.echo_suppression == "same_user",
            watched=watched,
            baseline=baseline,
            window_start=window_start,
            echo=echoes.get(row["id"]),
        )
        if decision.store:
            snaps[row["id"]] = stored[row["id"]] = Snap(row.get("write_date") or "", row)
        if decision.code:
            events.append(event_for(hook, row, decision))
            result.events[decision.code] = result.events.get(decision.code, 0) + 1
    with transaction.atomic():
        token = state.renew(hook.pk, token)
        if events:
            saved = record_events(events)
            if recorded is not None:
                recorded.extend(str(event.event_id) for event in saved)
        save_snaps(hook, stored)
        if cursor:
            moment = from_odoo(cursor)
            if hook.cursor is None or moment > hook.cursor:
                ModelHook.objects.filter(pk=hook.pk).update(cursor=moment)
                hook.cursor = moment
    return token


def scan_batch() -> int:
    """Ids and write_dates are small: the scan takes ten pages' worth per call."""
    return max(batch_size() * 10, 1000)


READ_GROUP = 4  # pages read (and their relations resolved) per call; each commits on its own


@dataclass
class Page:
    rows: list[dict[str, Any]]  # as read (for the count of records read)
    fresh: list[dict[str, Any]]  # new or changed: decided and committed, relations resolved
    snaps: dict[int, Snap]
    cursor: str | None


def _fresh(hook: ModelHook, rows: list[dict[str, Any]]) -> tuple[list[dict], dict[int, Snap]]:
    """Unsettled records are read again: skip the unchanged ones before any related read."""
    snaps = load_snaps(hook, [r["id"] for r in rows])
    return [r for r in rows if r["id"] not in snaps or not unchanged(snaps[r["id"]], r)], snaps


def baseline_pages(
    client: OdooClient,
    *,
    hook: ModelHook,
    plan: Callable[[], ReadPlan],
    domain: list,
    since: str | None,
) -> Iterator[Page]:
    """The first poll reads every record in full, page by page (nothing is known yet). The
    cursor never passes the latest write_date seen: it is a bound of Odoo's clock (scan.py),
    and after a page inside one second the window moves on to the next second unseen."""
    seen = ""
    for rows, cursor in window_pages(
        client,
        model=hook.model,
        domain=domain,
        fields=plan().fields,
        since=since,
        batch=batch_size(),
    ):
        seen = max([seen, *(r.get("write_date") or "" for r in rows)])
        fresh, snaps = _fresh(hook, rows)
        resolve(client, hook, plan(), fresh)
        yield Page(rows, fresh, snaps, min(cursor, seen) if cursor and seen else None)


def changed_pages(
    client: OdooClient,
    *,
    hook: ModelHook,
    plan: Callable[[], ReadPlan],
    domain: list,
    since: str | None,
) -> Iterator[Page]:
    """Scan ids and write_date of the window, then read in full only what is new, rewritten
    or not settled yet (hub/odoo/scan.py): READ_GROUP pages per read call and per related
    read, one transaction per page; the last page carries the cursor even when nothing
    needed reading. The read plan is only made when something is read."""
    floor = scan.clock_floor(hook)
    started = hook.cursor
    cursor = to_odoo(started) if started else None
    window = scan.choose_window(hook, overlap=overlap())
    latest: dict[int, str] = {}
    for rows, _ in window_pages(
        client,
        model=hook.model,
        domain=domain,
        fields=["write_date"],
        since=window.since,
        batch=scan_batch(),
    ):
        latest.update((r["id"], r.get("write_date") or "") for r in rows)  # the last one wins
    scanned = sorted(latest.items(), key=lambda item: (item[1], item[0]))
    if scanned:
        scan.observed(hook.pk, scanned[-1][1])
    bound = scan.read_bound(floor, scanned, cursor)
    todo = scan.stale(scanned, scan.snapshot_dates(hook, list(latest)), settled_before=cursor or "")
    size = batch_size()
    pages = [todo[i : i + size] for i in range(0, len(todo), size)]
    cursors = scan.page_cursors(pages, bound=bound)
    for first in range(0, len(pages), READ_GROUP):
        group = pages[first : first + READ_GROUP]
        order = {rid: n for n, (rid, _) in enumerate(item for page in group for item in page)}
        rows = sorted(
            client.read(hook.model, list(order), plan().fields), key=lambda r: order[r["id"]]
        )
        fresh, snaps = _fresh(hook, rows)
        resolve(client, hook, plan(), fresh)
        by_id = {r["id"]: r for r in rows}
        changed = {r["id"] for r in fresh}
        for index, page in enumerate(group, start=first):
            page_rows = [by_id[rid] for rid, _ in page if rid in by_id]
            page_fresh = [r for r in page_rows if r["id"] in changed]
            yield Page(page_rows, page_fresh, snaps, cursors[index] or None)
    if not pages and bound and bound != cursor:
        yield Page([], [], {}, bound)  # nothing read: only the cursor moves (with the release)
    if window.full:
        scan.overlap_scanned(hook, started)


def poll_hook(
    *,
    hook: ModelHook,
    client: OdooClient,
    force_reconcile: bool = False,
    report: Callable[[PollResult], str] | None = None,
) -> PollResult:
    """One poll of one hook. Raises OdooError (recorded on the hook by the caller). The line
    `report` makes of the result is stored on the hook by the statement that frees its lease,
    and so is the cursor of a poll that read nothing: an idle poll writes twice (the lease)."""
    result = PollResult(hook_id=hook.pk)
    token = state.acquire(hook.pk)
    if token is None:
        result.busy = True
        return result
    finished: dict[str, Any] = {}
    try:
        own_uid = client.uid or client.authenticate()
        plan = functools.cache(lambda: plan_for(hook, client))  # not made for an idle poll
        domain = list(parse_domain(hook.domain))
        baseline = result.baseline = not hook.baseline_done
        since = to_odoo(hook.cursor - overlap()) if hook.cursor else None
        walk = baseline_pages if baseline else changed_pages
        for page in walk(client, hook=hook, plan=plan, domain=domain, since=since):
            if not (baseline or page.rows):
                moved = from_odoo(page.cursor) if page.cursor else None
                if moved and (hook.cursor is None or moved > hook.cursor):
                    finished["cursor"] = moved
                continue
            token = commit_page(
                hook,
                token,
                page.fresh,
                snaps=page.snaps,
                plan=plan() if page.fresh else ReadPlan(hook.model, [], {}, [], False),
                own_uid=own_uid,
                baseline=baseline,
                window_start=since,
                cursor=page.cursor,
                result=result,
            )
            result.seen += len(page.rows)
        if baseline:
            # A new baseline (first poll, reset, another model or Odoo): nothing known before
            # about this hook's Odoo clock, overlap scans or delete count still holds.
            scan.forget(hook.pk)
            forget_deletes(hook.pk)
            fields: dict[str, Any] = {"baseline_done": True}
            if hook.cursor is None:
                # Nothing matched the domain yet: start from the model's latest write, so a
                # record that enters the domain later is not mistaken for a new one.
                fields["cursor"] = latest_write(client, hook.model)
            ModelHook.objects.filter(pk=hook.pk).update(**fields)
            hook.baseline_done, hook.cursor = True, fields.get("cursor", hook.cursor)
        else:
            force = force_reconcile or _reconcile_due(hook)
            result.deleted, token = find_deletes(
                hook=hook, client=client, domain=domain, token=token, force=force
            )
        if report is not None:
            finished.update(state.result_fields(result=report(result)))
    finally:
        state.release(hook.pk, token, **finished)
    for name, value in finished.items():
        setattr(hook, name, value)
    return result


def latest_write(client: OdooClient, model: str) -> datetime | None:
    rows = client.search_read(
        model, [], ["write_date"], limit=1, order="write_date desc", context=ACTIVE_TEST_OFF
    )
    return from_odoo(rows[0]["write_date"]) if rows and rows[0].get("write_date") else None


def _reconcile_due(hook: ModelHook) -> bool:
    return hook.last_reconcile_at is None or (
        timezone.now() - hook.last_reconcile_at >= reconcile_every()
    )
