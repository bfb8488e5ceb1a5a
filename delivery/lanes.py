"""Endpoint lanes: which pending deliveries may be sent now, claimed under each lane's limits.

One lane per rule (docs/delivery.md says why). A claim locks the lanes it takes from
(``SELECT ... FOR UPDATE`` in rule order; SQLite serialises writers anyway), counts each
lane's attempts in flight (pending logs under an unexpired lease), and takes the oldest
claimable logs up to the lane's
``max_in_flight``, its rate limit, and its breaker (open: nothing; half-open: one probe).
Paused lanes and lanes slowed by a Retry-After are skipped. The claim is one conditional UPDATE
(``status='pending'`` and unclaimed or lease expired) that stamps the sender's token and the
lease time, so no two senders ever hold the same attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.db.models.lookups import Exact
from django.utils import timezone

from delivery import queue, ratelimit
from delivery.models import BreakerState, Lane, LogStatus, WebhookLog
from delivery.ordering import PARKED
from hub.lib.http import HttpResult, Outcome
from rules.models import WebhookRule

BREAKER_MAX_COOLDOWN = 600  # seconds: the doubling cool-down stops here
SOON = 2.0  # seconds: a sender waits this long at most for a rate-limited lane to refill
KICK = 100  # deliveries queued when a lane reopens (two tasks; their senders drain the rest)


def lease() -> timedelta:
    """How long a claim holds without renewal (senders renew every third of it)."""
    return timedelta(seconds=settings.HUB_DELIVERY_LEASE)


def claimable(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease())


def pending_by_id() -> Exact:
    """``status = 'pending'`` for lookups by id, written so that no partial (pending) index
    matches it. On a table without statistics (a new deployment; the bench) the planner took
    those indexes for a list of 50 ids and read every pending row, about 10 ms per statement
    at 3,000 pending, instead of probing the primary key 50 times."""
    return Exact(Concat(F("status"), Value("")), LogStatus.PENDING)


def pending(now: datetime, ids: list[int] | None = None) -> QuerySet[WebhookLog]:
    """Pending logs nobody holds (parked ones wait for their release, not for a claim)."""
    if ids is not None:
        return WebhookLog.objects.filter(id__in=_unheld(now, ids))
    return WebhookLog.objects.filter(claimable(now), status=LogStatus.PENDING).exclude(error=PARKED)


def _unheld(now: datetime, ids: list[int]) -> list[int]:
    """Those of `ids` that `pending` takes, found by primary key and narrowed here. With the
    conditions in SQL, a planner without statistics (a new table) read the whole lease index
    and every pending row's page for 50 ids; each queue task starts with this look."""
    expired = now - lease()
    rows = WebhookLog.objects.filter(id__in=ids).values_list("id", "status", "claimed_at", "error")
    return [
        pk
        for pk, status, claimed_at, error in rows
        if status == LogStatus.PENDING
        and error != PARKED
        and (claimed_at is None or claimed_at < expired)
    ]


def in_flight(
    rule_ids: list[int], now: datetime, *, finished: list[int] | None = None
) -> dict[int, int]:
    """Attempts in flight per lane: pending logs under a live lease (a dead sender's expire),
    less `finished` (answered, their results about to be recorded by the caller).

    Raw SQL: it runs in every claim, and building it with the ORM cost more CPU than the
    database spent on it (cProfile of a sender)."""
    if not rule_ids:
        return {}
    table = WebhookLog._meta.db_table
    skip = f" AND id NOT IN ({_marks(finished)})" if finished else ""
    sql = (
        f"SELECT rule_id, COUNT(*) FROM {table} WHERE rule_id IN ({_marks(rule_ids)}) "  # noqa: S608
        f"AND status = %s AND claimed_at >= %s AND error <> %s{skip} GROUP BY rule_id"
    )
    params = [*rule_ids, LogStatus.PENDING.value, _dt(now - lease()), PARKED, *(finished or [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {rule_id: n for rule_id, n in cursor.fetchall()}


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("%s" for _ in values)


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


# The columns a sender reads to send and record an attempt, in the model's field order (what
# Model.from_db wants). Not read: what a result overwrites, the timestamps the claim sets.
SEND_FIELDS = [
    f.attname
    for f in WebhookLog._meta.concrete_fields
    if f.attname
    in {
        "id", "delivery_id", "rule_id", "rule_name", "event_id", "retry_id", "model",
        "record_id", "event_code", "url", "http_method", "request_body", "attempt",
    }
]  # fmt: skip


def _claim_rows(where: str, params: list[Any], *, token: str, now: datetime) -> list[WebhookLog]:
    """Claim the pending, claimable logs `where` selects (an id subquery) in one UPDATE and
    return them (RETURNING: no second statement to fetch what was claimed), oldest first.

    The outer conditions are checked again on each row the UPDATE writes (PostgreSQL re-reads
    a row another transaction changed meanwhile), so two claimers never both take one log.
    ``status || ''``: no partial pending index matches a lookup by id (see pending_by_id)."""
    table = WebhookLog._meta.db_table
    columns = ", ".join(connection.ops.quote_name(name) for name in SEND_FIELDS)
    returning = connection.features.can_return_columns_from_insert  # SQLite >= 3.35
    tail = f" RETURNING {columns}" if returning else ""
    # Names from the model (constants); `where` is built here from placeholders only.
    sql = (
        f"UPDATE {table} SET claimed_at = %s, claimed_by = %s, error = '' "  # noqa: S608
        f"WHERE id IN ({where}) AND status || '' = %s "
        f"AND (claimed_at IS NULL OR claimed_at < %s){tail}"
    )
    expired = _dt(now - lease())
    with connection.cursor() as cursor:
        cursor.execute(sql, [_dt(now), token, *params, LogStatus.PENDING.value, expired])
        if returning:
            rows = cursor.fetchall()
        else:  # an older SQLite: read back what this claim stamped (token and time are its own)
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE claimed_by = %s AND claimed_at = %s "  # noqa: S608
                "AND status = %s",
                [token, _dt(now), LogStatus.PENDING.value],
            )
            rows = cursor.fetchall()
    logs = []
    for row in sorted(rows):
        log = WebhookLog.from_db(connection.alias, SEND_FIELDS, row)
        log.status, log.error, log.claimed_at, log.claimed_by = LogStatus.PENDING, "", now, token
        logs.append(log)
    return logs


def _claim_ids(ids: list[int], *, token: str, now: datetime) -> list[WebhookLog]:
    if not ids:
        return []
    return _claim_rows(_marks(ids), list(ids), token=token, now=now)


def _claim_oldest(rule_id: int, room: int, *, token: str, now: datetime) -> list[WebhookLog]:
    """The lane's `room` oldest claimable logs, found and claimed in one statement (the
    partial pending index on (rule, id) serves the subquery)."""
    table = WebhookLog._meta.db_table
    oldest = (
        f"SELECT id FROM {table} WHERE rule_id = %s AND status = %s "  # noqa: S608
        "AND (claimed_at IS NULL OR claimed_at < %s) AND error <> %s ORDER BY id LIMIT %s"
    )
    params = [rule_id, LogStatus.PENDING.value, _dt(now - lease()), PARKED, room]
    return _claim_rows(oldest, params, token=token, now=now)


@dataclass
class Claim:
    ids: list[int] = field(default_factory=list)
    wait: float | None = None  # seconds until a rate-limited lane has room (None: none waits)
    rules: set[int] = field(default_factory=set)  # the lanes with work it looked at
    logs: list[WebhookLog] = field(default_factory=list)  # the claimed rows, oldest first


def claim(
    *,
    token: str,
    limit: int,
    now: datetime,
    ids: list[int] | None = None,
    rules: set[int] | None = None,
    finished: list[int] | None = None,
) -> Claim:
    """Claim up to `limit` deliveries across lanes for sender `token` (one transaction).

    `rules`: the lanes a previous claim found work in (a sender's short-lived hint); without
    it the claim first finds every rule with pending work, and fails the logs of rules that
    were deleted or switched off. The answer's `rules` is what it found, for the next call.
    `finished`: the caller's attempts that have their answer but are not recorded yet; they
    no longer count as in flight, so their slots are refilled before the recording.
    """
    result = Claim()
    with transaction.atomic():
        base = pending(now, ids)
        # Scoped to ids: their lanes in Python, from one primary-key lookup (see _unheld).
        scoped = None if ids is None else _by_lane(base)
        orphans: list[int] = []
        if rules is None:
            rules, orphans = _discover(base, scoped, limit)
        result.rules = rules
        logs = _claim_ids(orphans, token=token, now=now)
        if rules:
            locked = _lock(rules)
            busy = in_flight([lane.rule_id for lane in locked], now, finished=finished)
            for lane in locked:
                if len(logs) >= limit:
                    break
                room = min(limit - len(logs), _room(lane, busy.get(lane.rule_id, 0), now))
                if room <= 0:
                    continue
                plain = not lane.rate_limit and lane.breaker_state == BreakerState.CLOSED
                if scoped is None and plain:
                    # The common case: nothing to decide per log, one statement.
                    logs += _claim_oldest(lane.rule_id, room, token=token, now=now)
                    continue
                if scoped is None:
                    lane_base = base.filter(rule_id=lane.rule_id).order_by("id")
                    ready = list(lane_base.values_list("id", flat=True)[:room])
                else:
                    ready = scoped.get(lane.rule_id, [])[:room]
                logs += _claim_ids(_take(lane, ready, now, result), token=token, now=now)
        result.logs = logs
        result.ids = [log.pk for log in logs]
    return result


def _by_lane(base: QuerySet[WebhookLog]) -> dict[int | None, list[int]]:
    """The ids of `base`, oldest first, per lane."""
    lanes: dict[int | None, list[int]] = {}
    for pk, rule_id in base.order_by("id").values_list("id", "rule_id"):
        lanes.setdefault(rule_id, []).append(pk)
    return lanes


def _discover(
    base: QuerySet[WebhookLog], scoped: dict[int | None, list[int]] | None, limit: int
) -> tuple[set[int], list[int]]:
    """(active rules with pending work, logs of deleted or inactive rules to fail)."""
    with_work: set[int | None]
    if scoped is not None:
        with_work = set(scoped)
    else:
        # One probe of the pending index per rule (the per-lane query applies the claimable /
        # parked conditions): reading every pending row's rule instead costs as much as the log
        # table has row versions, and a claim and a result each leave one.
        scope = WebhookLog.objects.filter(status=LogStatus.PENDING)
        with_work = set(
            WebhookRule.objects.filter(Exists(scope.filter(rule_id=OuterRef("pk")))).values_list(
                "pk", flat=True
            )
        )
        if scope.filter(rule_id__isnull=True).exists():
            with_work.add(None)
    active = set(
        WebhookRule.objects.filter(pk__in=with_work, active=True).values_list("pk", flat=True)
    )
    orphans = _orphans(base, with_work - active, limit)
    rules = active & with_work
    if rules:
        _ensure(rules)
    return rules, orphans


def _orphans(base: QuerySet[WebhookLog], gone: AbstractSet[int | None], limit: int) -> list[int]:
    """Logs whose rule was deleted or switched off: claimed without limits, to be failed."""
    if not gone:
        return []
    orphans = Q(rule_id__in=[r for r in gone if r is not None])
    if None in gone:
        orphans |= Q(rule_id__isnull=True)
    return list(base.filter(orphans).order_by("id").values_list("id", flat=True)[:limit])


def _ensure(rule_ids: set[int]) -> None:
    """A lane row for every rule with work (created on first use, with the defaults)."""
    known = set(Lane.objects.filter(rule_id__in=rule_ids).values_list("rule_id", flat=True))
    if missing := rule_ids - known:
        Lane.objects.bulk_create([Lane(rule_id=r) for r in missing], ignore_conflicts=True)


def _lock(rule_ids: set[int]) -> list[Lane]:
    # Waits for a recorder or another claimer holding the row (both are short transactions);
    # skipping it instead would make a busy lane look idle to the second sender. Raw SQL: it
    # runs in every claim (see in_flight).
    table = Lane._meta.db_table
    ids = sorted(rule_ids)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT * FROM {table} WHERE rule_id IN ({_marks(ids)}) "  # noqa: S608
        f"AND NOT paused ORDER BY rule_id{lock}"
    )
    return list(Lane.objects.raw(sql, ids))


def _room(lane: Lane, busy: int, now: datetime) -> int:
    """How many more attempts this lane may have in flight now (its row is locked)."""
    if lane.slow_until and lane.slow_until > now:
        return 0
    # A lane that never sent starts with one attempt: a first 410 or refusal stops it at one.
    cap = lane.max_in_flight if lane.last_attempt_at else 1
    if lane.breaker_state != BreakerState.CLOSED:
        if lane.open_until and lane.open_until > now:
            return 0
        cap = 1  # half-open: a single probe
    return cap - busy


def _take(lane: Lane, ids: list[int], now: datetime, out: Claim) -> list[int]:
    """Of `ids` (ready, within the lane's room), those its rate limit lets go now; updates
    the lane's own state (its row is locked)."""
    if not ids:
        return []
    allowed, wait = ratelimit.take(lane=lane, want=len(ids), now=now)
    if allowed < len(ids) and wait <= SOON:
        out.wait = wait if out.wait is None else min(out.wait, wait)
    ids = ids[:allowed]
    changed = ["tokens", "tokens_at"] if lane.rate_limit else []
    if ids and lane.breaker_state == BreakerState.OPEN:
        lane.breaker_state = BreakerState.HALF_OPEN
        changed.append("breaker_state")
    if changed:
        lane.save(update_fields=changed)
    return ids


# --- results: the breaker and Retry-After ---------------------------------------------------


def retry_after_seconds(result: HttpResult) -> float | None:
    """Seconds a 429 / 503 asked us to wait (Retry-After), None when it did not ask."""
    from hub.lib.backoff import parse_retry_after

    if result.status not in (429, 503):
        return None
    return parse_retry_after(result.header("Retry-After"))


STATE_FIELDS = [
    "breaker_state", "breaker_failures", "breaker_trips", "open_until", "last_error",
    "last_failure_at", "slow_until", "paused", "paused_at", "paused_reason", "last_attempt_at",
    "last_success_at", "updated_at",
]  # fmt: skip


def settle(lane: Lane, results: list[HttpResult], now: datetime) -> None:
    """Move the breaker of a (locked) lane through these attempt results, in order; save."""
    for result in results:
        lane.last_attempt_at = _coarse(lane.last_attempt_at, now)
        if result.outcome is Outcome.SUCCESS:
            lane.last_success_at = _coarse(lane.last_success_at, now)
            lane.breaker_state, lane.breaker_failures = BreakerState.CLOSED, 0
            lane.breaker_trips, lane.open_until = 0, None
        elif result.outcome is Outcome.RETRY:  # the endpoint is down or failing
            lane.breaker_failures += 1
            lane.last_error, lane.last_failure_at = result.error[:2000], now
            tripped = lane.breaker_threshold and lane.breaker_failures >= lane.breaker_threshold
            if lane.breaker_state == BreakerState.HALF_OPEN or (
                tripped and lane.breaker_state == BreakerState.CLOSED
            ):
                _open(lane, now)
    if _state(lane) != lane.__dict__.get("_saved_state"):
        lane.save(update_fields=STATE_FIELDS)


def needs_update(lane: dict[str, Any], results: list[HttpResult], now: datetime) -> bool:
    """Whether recording these results changes the lane (read without a lock): anything but
    successes on a closed, healthy lane, or a last-attempt stamp a second old."""
    if any(result.outcome is not Outcome.SUCCESS for result in results):
        return True
    if lane["breaker_state"] != BreakerState.CLOSED or lane["breaker_failures"]:
        return True
    stamps = (lane["last_attempt_at"], lane["last_success_at"])
    return any(stamp is None or now - stamp >= timedelta(seconds=1) for stamp in stamps)


def _coarse(stamp: datetime | None, now: datetime) -> datetime:
    """Stamps move by whole seconds: a busy lane is not rewritten for every group."""
    return now if stamp is None or now - stamp >= timedelta(seconds=1) else stamp


def _state(lane: Lane) -> tuple:
    return tuple(getattr(lane, name) for name in STATE_FIELDS if name != "updated_at")


def remember(lane: Lane) -> Lane:
    """Note the state as loaded, so settle() writes only when something changed."""
    lane.__dict__["_saved_state"] = _state(lane)
    return lane


def _open(lane: Lane, now: datetime) -> None:
    cooldown = min(BREAKER_MAX_COOLDOWN, lane.breaker_cooldown * 2**lane.breaker_trips)
    lane.breaker_state, lane.open_until = BreakerState.OPEN, now + timedelta(seconds=cooldown)
    lane.breaker_trips += 1


def slow_down(lane: Lane, seconds: float, now: datetime, *, cap: int | None) -> None:
    """A Retry-After: this lane sends nothing until then (capped by the rule's max interval)."""
    until = now + timedelta(seconds=min(max(seconds, 1), cap or BREAKER_MAX_COOLDOWN))
    if lane.slow_until is None or lane.slow_until < until:
        lane.slow_until = until


# --- operator actions (admin, API) ----------------------------------------------------------


def ensure_all() -> None:
    """A lane row for every rule (lists show every rule's lane, used or not)."""
    _ensure(set(WebhookRule.objects.values_list("pk", flat=True)))


def held(rule_id: int) -> int:
    """Deliveries waiting in a lane (pending, not in flight): "held" while it is paused."""
    return WebhookLog.objects.filter(rule_id=rule_id, status=LogStatus.PENDING).count()


def pause(*, rule_ids: Iterable[int], reason: str = "paused by an operator") -> int:
    """Pause lanes: deliveries are still recorded, and held until resume. Returns how many."""
    ids = list(rule_ids)
    _ensure(set(ids))
    now = timezone.now()
    return Lane.objects.filter(rule_id__in=ids, paused=False).update(
        paused=True, paused_at=now, paused_reason=reason, updated_at=now
    )


def resume(*, rule_ids: Iterable[int]) -> int:
    """Resume paused lanes: their held deliveries go out, oldest first, through the lane."""
    ids = list(rule_ids)
    with transaction.atomic():
        count = Lane.objects.filter(rule_id__in=ids, paused=True).update(
            paused=False, paused_at=None, paused_reason="", updated_at=timezone.now()
        )
        _kick(ids)
    return count


def close_breaker(*, rule_ids: Iterable[int]) -> int:
    """Close breakers by hand (and forget a Retry-After wait): the lanes send again now."""
    ids = list(rule_ids)
    with transaction.atomic():
        count = Lane.objects.filter(rule_id__in=ids).update(
            breaker_state=BreakerState.CLOSED,
            breaker_failures=0,
            breaker_trips=0,
            open_until=None,
            slow_until=None,
            updated_at=timezone.now(),
        )
        _kick(ids)
    return count


def _kick(rule_ids: list[int]) -> None:
    """Queue the first waiting deliveries of these lanes; their senders follow with the rest."""
    first = pending(timezone.now()).filter(rule_id__in=rule_ids).order_by("id")
    queue.enqueue_on_commit(first.values_list("id", flat=True)[:KICK])


def needing_attention(*, rule_id: int | None = None) -> list[dict[str, Any]]:
    """Lanes an operator should see (paused, breaker not closed, waiting on a Retry-After),
    with how many deliveries each holds: the dashboard's `lanes` list."""
    now = timezone.now()
    unusual = Q(paused=True) | ~Q(breaker_state=BreakerState.CLOSED) | Q(slow_until__gt=now)
    rows = Lane.objects.filter(unusual).select_related("rule").order_by("rule__name")
    if rule_id is not None:
        rows = rows.filter(rule_id=rule_id)
    return [
        {
            "rule": lane.rule_id,
            "rule_name": lane.rule.name,
            "paused": lane.paused,
            "paused_at": lane.paused_at,
            "held": held(lane.rule_id),
            "breaker_state": lane.breaker_state,
            "open_until": lane.open_until,
            "breaker_failures": lane.breaker_failures,
            "slow_until": lane.slow_until,
            "last_error": lane.last_error.split("\n", 1)[0],
        }
        for lane in rows[:50]
    ]
