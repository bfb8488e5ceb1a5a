"""Record an event: the one entry point for Odoo changes, API calls and inbound webhooks.

Interface (stable, used by hub.odoo, inbound and the API):
    record_event(NewEvent(...), ruleset=None) -> EventHistory
    record_events([NewEvent, ...], ruleset=None) -> list[EventHistory]  # one transaction
    accept_event(NewEvent(...), ruleset=...) -> Accepted  # emit: planned after the answer

The flow runs one way: match (rules.matching) -> plan the URL and body of each delivery
(rules.planning) -> record and send them (delivery.dispatch). In one transaction: the
EventHistory rows, the rules each event matches (rules_triggered) and one WebhookLog per
(event, rule). Sending starts only after that transaction commits: async
rules are queued (ids only), sync rules are sent inline before the call returns. Called inside
an outer ``atomic`` block, everything waits for the outer commit (so a sync rule is then sent
when the outer block commits, not before this call returns); a rollback sends nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from delivery.dispatch import create_deliveries
from hub import unplanned
from hub.lib import bulk
from hub.lib.insert import insert_row
from hub.lib.nul import scrub_nul
from hub.models import EventHistory, OdooConnection
from rules.matching import matching_rules
from rules.models import DispatchMode, WebhookRule
from rules.planning import plan
from rules.ruleset import RuleSet, active_rules


@dataclass
class NewEvent:
    model: str
    event_code: str
    record_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, dict[str, Any]] | None = None  # {"field": {"before": x, "after": y}}
    user: dict[str, Any] | None = None  # {"id": 2, "name": "Mitchell Admin"}
    source: str = "api"  # connection name, "api" or "inbound:<slug>"
    connection: OdooConnection | None = None
    occurred_at: datetime | None = None


def _matched(e: NewEvent, ruleset: RuleSet) -> list[WebhookRule]:
    return matching_rules(
        model=e.model,
        event_code=e.event_code,
        connection_id=e.connection.pk if e.connection else None,
        data=e.data,
        changes=e.changes,
        candidates=ruleset.for_model(e.model),
    )


def _values(e: NewEvent, rules: Sequence[WebhookRule], now: datetime) -> dict[str, Any]:
    """The row's own values (by attname; the connection is the caller's to give)."""
    return {
        "occurred_at": e.occurred_at or now,
        "source": e.source,
        "model": e.model,
        "record_id": e.record_id,
        "event_code": e.event_code,
        # Inbound bodies may carry NUL characters, which PostgreSQL refuses.
        "user": scrub_nul(e.user),
        "data": scrub_nul(e.data),
        "changes": scrub_nul(e.changes),
        "rules_triggered": len(rules),
    }


def _row(e: NewEvent, rules: Sequence[WebhookRule]) -> EventHistory:
    return EventHistory(connection=e.connection, **_values(e, rules, timezone.now()))


def record_events(
    events: Sequence[NewEvent], *, ruleset: RuleSet | None = None
) -> list[EventHistory]:
    """``ruleset``: the rules to match against, when the caller already read them (emit
    validated its event code with them); else read here (rules.ruleset: one query while the
    rules are unchanged)."""
    if not events:
        return []
    with transaction.atomic():
        ruleset = ruleset or active_rules()
        matched = [_matched(e, ruleset) for e in events]
        rows = bulk.insert(  # bulk_create without the per-field SQL compilation
            [_row(e, rules) for e, rules in zip(events, matched, strict=True)]
        )
        create_deliveries(
            [(row, plan(row, rules)) for row, rules in zip(rows, matched, strict=True)]
        )
        return rows


def record_event(event: NewEvent, *, ruleset: RuleSet | None = None) -> EventHistory:
    return record_events([event], ruleset=ruleset)[0]


@dataclass(frozen=True)
class Accepted:
    """An event stored by ``accept_event``: what ``POST /api/emit/`` answers."""

    pk: int
    event_id: uuid.UUID
    deliveries: int  # the rules it matched: its deliveries, planned now or in a moment


def accept_event(event: NewEvent, *, ruleset: RuleSet) -> Accepted:
    """Record an event and answer before its deliveries are planned (``POST /api/emit/``).

    One ``INSERT`` (autocommit, or the caller's transaction): the row carries the matched
    rules' ids; once it is committed, hub.unplanned plans its deliveries in a worker, with
    the other events of the same few milliseconds, and its sweep plans any event whose
    hand-off was lost. An event matching a sync rule takes ``record_events`` instead: a sync
    rule is sent before the call returns.
    """
    rules = _matched(event, ruleset)
    if any(rule.dispatch_mode == DispatchMode.SYNC for rule in rules):
        row = record_events([event], ruleset=ruleset)[0]
        return Accepted(pk=row.pk, event_id=row.event_id, deliveries=row.rules_triggered)
    now = timezone.now()
    event_id = uuid.uuid4()
    pk = insert_row(
        EventHistory,
        {
            **_values(event, rules, now),
            "event_id": event_id,
            "connection_id": event.connection.pk if event.connection else None,
            "pending_rules": [rule.pk for rule in rules] if rules else None,
            "created_at": now,
        },
    )
    if rules:
        unplanned.plan_on_commit(pk)
    return Accepted(pk=pk, event_id=event_id, deliveries=len(rules))
