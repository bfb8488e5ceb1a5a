"""Record an event: the one entry point for Odoo changes, API calls and inbound webhooks.

Interface (stable, used by hub.odoo, inbound and the API):
    record_event(NewEvent(...), ruleset=None) -> EventHistory
    record_events([NewEvent, ...], ruleset=None) -> list[EventHistory]  # one transaction

The flow runs one way: match (rules.matching) -> plan the URL and body of each delivery
(rules.planning) -> record and send them (delivery.dispatch). In one transaction: the
EventHistory rows, the rules each event matches (rules_triggered) and one WebhookLog per
(event, rule). Sending starts only after that transaction commits: async
rules are queued (ids only), sync rules are sent inline before the call returns. Called inside
an outer ``atomic`` block, everything waits for the outer commit (so a sync rule is then sent
when the outer block commits, not before this call returns); a rollback sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from delivery.dispatch import create_deliveries
from hub.lib import bulk
from hub.lib.nul import scrub_nul
from hub.models import EventHistory, OdooConnection
from rules.matching import matching_rules
from rules.models import WebhookRule
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
        rows: list[EventHistory] = []
        matched: list[list[WebhookRule]] = []
        for e in events:
            rules = matching_rules(
                model=e.model,
                event_code=e.event_code,
                connection_id=e.connection.pk if e.connection else None,
                data=e.data,
                changes=e.changes,
                candidates=ruleset.for_model(e.model),
            )
            matched.append(rules)
            rows.append(
                EventHistory(
                    occurred_at=e.occurred_at or timezone.now(),
                    source=e.source,
                    connection=e.connection,
                    model=e.model,
                    record_id=e.record_id,
                    event_code=e.event_code,
                    # Inbound bodies may carry NUL characters, which PostgreSQL refuses.
                    user=scrub_nul(e.user),
                    data=scrub_nul(e.data),
                    changes=scrub_nul(e.changes),
                    rules_triggered=len(rules),
                )
            )
        rows = bulk.insert(rows)  # bulk_create without the per-field SQL compilation
        create_deliveries(
            [(row, plan(row, rules)) for row, rules in zip(rows, matched, strict=True)]
        )
        return rows


def record_event(event: NewEvent, *, ruleset: RuleSet | None = None) -> EventHistory:
    return record_events([event], ruleset=ruleset)[0]
