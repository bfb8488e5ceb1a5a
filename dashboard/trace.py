"""Per-record trace: why did this record's change reach (or not reach) each endpoint?

Read-only, so it lives with the dashboard, the one app allowed to read every other. For one
record (model + id, optionally one connection or source) it returns, in time order:

- ``event``: each event recorded for the record (which poll/push/source saw it, its changes),
  with every rule on the model re-evaluated by ``rules.matching.why_not`` (matched, or why not:
  rule inactive, event code not watched, other connection, no trigger field changed, condition
  false; a matched rule whose lane is paused is marked ``paused``), and the deliveries the event
  made, each with its attempts and outcome;
- ``echo_suppressed``: each of the hub's own writes the poller dropped (hub.odoo.echo).

Rules are evaluated as they are now (a rule edited since is explained by its current state);
``delivered`` tells what happened at the time. The queries are a constant number whatever the
history: events by the (model, record_id, occurred_at) index, logs by their event foreign key.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q

from delivery.models import Lane, WebhookLog
from hub.models import EventHistory, OdooEcho, RecordSnapshot
from rules.matching import why_not
from rules.models import WebhookEvent, WebhookRule

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class TraceError(ValueError):
    """Bad trace parameters (a 400 for the API, a message on the page)."""


@dataclass(frozen=True)
class TraceQuery:
    model: str
    record_id: int
    connection_id: int | None = None
    source: str | None = None
    limit: int = DEFAULT_LIMIT


def parse_query(params: Any) -> TraceQuery:
    """model, record_id (required), connection or source (optional), limit."""
    model = (params.get("model") or "").strip()
    if not model:
        raise TraceError("give model=, e.g. sale.order")
    try:
        record_id = int(params.get("record_id") or "")
        connection = params.get("connection") or None
        connection_id = int(connection) if connection is not None else None
        limit = int(params.get("limit") or DEFAULT_LIMIT)
    except ValueError as exc:
        raise TraceError("record_id, connection and limit are whole numbers") from exc
    if record_id < 0 or record_id > 2**63 - 1 or not 1 <= limit <= MAX_LIMIT:
        raise TraceError(f"record_id must be a record id and limit 1..{MAX_LIMIT}")
    source = (params.get("source") or "").strip() or None
    return TraceQuery(model, record_id, connection_id, source, limit)


# --- selectors -----------------------------------------------------------------------------------
def _events(query: TraceQuery) -> list[EventHistory]:
    events = EventHistory.objects.filter(model=query.model, record_id=query.record_id)
    if query.connection_id is not None:
        events = events.filter(connection_id=query.connection_id)
    if query.source:
        events = events.filter(Q(source=query.source) | Q(source=f"inbound:{query.source}"))
    latest = events.order_by("-occurred_at", "-id")[: query.limit]
    return sorted(latest, key=lambda e: (e.occurred_at, e.pk))


def _rules(model: str) -> list[WebhookRule]:
    return list(
        WebhookRule.objects.filter(model=model)
        .select_related("connection")
        .prefetch_related(
            Prefetch("events", queryset=WebhookEvent.objects.filter(active=True)),
        )
        .order_by("name", "pk")
    )


def _deliveries(events: list[EventHistory]) -> dict[int, list[dict[str, Any]]]:
    """Per event: its deliveries, each with its attempts (one log row per attempt)."""
    logs = (
        WebhookLog.objects.filter(event_id__in=[e.pk for e in events])
        .order_by("created_at", "id")
        .values(
            "id", "event_id", "delivery_id", "rule_id", "rule_name", "url", "status", "attempt",
            "response_status", "error", "duration_ms", "created_at", "sent_at",
        )
    )  # fmt: skip
    grouped: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for log in logs:
        key = log["delivery_id"] or f"log-{log['id']}"
        delivery = grouped[log["event_id"]].setdefault(
            key,
            {
                "delivery_id": log["delivery_id"],
                "rule_id": log["rule_id"],
                "rule_name": log["rule_name"],
                "url": log["url"],
                "attempts": [],
            },
        )
        delivery["attempts"].append(
            {
                "log_id": log["id"],
                "attempt": log["attempt"],
                "status": log["status"],
                "response_status": log["response_status"],
                "error": log["error"],
                "duration_ms": log["duration_ms"],
                "created_at": log["created_at"],
                "sent_at": log["sent_at"],
            }
        )
    for deliveries in grouped.values():
        for delivery in deliveries.values():
            delivery["outcome"] = delivery["attempts"][-1]["status"]
    return {event_id: list(d.values()) for event_id, d in grouped.items()}


def _echoes(query: TraceQuery) -> list[OdooEcho]:
    echoes = OdooEcho.objects.filter(
        model=query.model, record_id=query.record_id, suppressed_at__isnull=False
    )
    if query.connection_id is not None:
        echoes = echoes.filter(connection_id=query.connection_id)
    return list(echoes.order_by("suppressed_at")[: query.limit])


def _snapshots(query: TraceQuery) -> list[dict[str, Any]]:
    snaps = RecordSnapshot.objects.filter(hook__model=query.model, record_id=query.record_id)
    if query.connection_id is not None:
        snaps = snaps.filter(hook__connection_id=query.connection_id)
    return [
        {"hook_id": s["hook_id"], "connection": s["hook__connection__name"],
         "write_date": s["write_date"], "last_seen": s["updated_at"]}
        for s in snaps.values("hook_id", "hook__connection__name", "write_date", "updated_at")
    ]  # fmt: skip


# --- the service -------------------------------------------------------------------------------
def explain_rules(
    event: EventHistory, rules: list[WebhookRule], paused: set[int], delivered: set[int]
) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        reason = why_not(
            rule,
            model=event.model,
            event_code=event.event_code,
            connection_id=event.connection_id,
            data=event.data or {},
            changes=event.changes,
        )
        out.append(
            {
                "rule_id": rule.pk,
                "rule_name": rule.name,
                "matched": not reason,
                "reason": reason or ("matched; lane paused" if rule.pk in paused else "matched"),
                "paused": rule.pk in paused,
                "delivered": rule.pk in delivered,
            }
        )
    return out


def trace_record(query: TraceQuery) -> dict[str, Any]:
    """The record's history in time order (see the module docstring)."""
    events = _events(query)
    rules = _rules(query.model)
    paused = set(
        Lane.objects.filter(rule_id__in=[r.pk for r in rules], paused=True).values_list(
            "rule_id", flat=True
        )
    )
    deliveries = _deliveries(events) if events else {}
    timeline: list[dict[str, Any]] = []
    for event in events:
        made = deliveries.get(event.pk, [])
        timeline.append(
            {
                "at": event.occurred_at,
                "kind": "event",
                "event_id": str(event.event_id),
                "event_code": event.event_code,
                "seen_by": event.source,
                "connection_id": event.connection_id,
                "user": event.user,
                "changes": event.changes,
                "write_date": (event.data or {}).get("write_date"),
                "rules": explain_rules(event, rules, paused, {d["rule_id"] for d in made}),
                "deliveries": made,
            }
        )
    for echo in _echoes(query):
        timeline.append(
            {
                "at": echo.suppressed_at,
                "kind": "echo_suppressed",
                "connection_id": echo.connection_id,
                "write_date": echo.write_date,
                "written": echo.values,
                "reason": "echo suppressed: the hub's own write (no event, no rule evaluated)",
            }
        )
    timeline.sort(key=lambda item: item["at"])
    return {
        "model": query.model,
        "record_id": query.record_id,
        "connection": query.connection_id,
        "source": query.source,
        "known_to": _snapshots(query),
        "rules": [{"rule_id": r.pk, "rule_name": r.name, "active": r.active} for r in rules],
        "timeline": timeline,
        "truncated": len(events) >= query.limit,
    }
