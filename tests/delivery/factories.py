"""Small factories for the delivery tests: rules pointing at the receiver, events to record."""

from __future__ import annotations

from itertools import count
from typing import Any

from hub.events import NewEvent, record_event
from hub.models import EventHistory
from rules.models import WebhookEvent, WebhookRule

_names = count(1)


def make_rule(*, url: str, events: tuple[str, ...] = ("write",), **fields: Any) -> WebhookRule:
    fields.setdefault("model", "res.partner")
    rule = WebhookRule.objects.create(name=f"rule {next(_names)}", url=url, **fields)
    # get_or_create: transactional tests flush the standard events the migration created
    get = WebhookEvent.objects.get_or_create
    rule.events.set([get(code=code, defaults={"name": code})[0] for code in events])
    return rule


def emit(**overrides: Any) -> EventHistory:
    """Record a `res.partner` write (the caller decides whether on_commit callbacks run)."""
    values: dict[str, Any] = {
        "model": "res.partner",
        "event_code": "write",
        "record_id": 42,
        "data": {"id": 42, "name": "Azure Interior", "email": "b@example.com"},
        "changes": {"email": {"before": "a@example.com", "after": "b@example.com"}},
        "user": {"id": 2, "name": "Mitchell Admin"},
    }
    values.update(overrides)
    return record_event(NewEvent(**values))
