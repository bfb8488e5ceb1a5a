"""Record an event: the one entry point for Odoo changes, API calls and inbound webhooks.

Interface (stable, used by hub.odoo, inbound and the API):
    record_event(NewEvent(...)) -> EventHistory
    record_events([NewEvent, ...]) -> list[EventHistory]   # one transaction, bulk writes
The delivery engine (issue 3) extends the body: match rules, write pending WebhookLogs in the
same transaction, enqueue after commit.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from hub.models import EventHistory, OdooConnection


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


def record_events(events: Sequence[NewEvent]) -> list[EventHistory]:
    with transaction.atomic():
        rows = [
            EventHistory(
                occurred_at=e.occurred_at or timezone.now(),
                source=e.source,
                connection=e.connection,
                model=e.model,
                record_id=e.record_id,
                event_code=e.event_code,
                user=e.user,
                data=e.data,
                changes=e.changes,
            )
            for e in events
        ]
        return EventHistory.objects.bulk_create(rows)


def record_event(event: NewEvent) -> EventHistory:
    return record_events([event])[0]
