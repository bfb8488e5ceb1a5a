"""Read side of the dashboard: parse the query, gather rollups + live tails, build the JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dashboard.metrics import InboundRow, MetricRow, build_payload, day_range
from dashboard.models import DailyInbound, DailyMetric, RollupDay
from dashboard.rollups import aggregate_inbound, aggregate_logs, day_bounds, narrowed
from delivery import lanes
from delivery.models import LogStatus, RetryState, WebhookLog, WebhookRetry
from hub.lib.errors import summary_line
from rules.models import WebhookRule

MAX_DAYS = 90
DEFAULT_DAYS = 7
RECENT_ERRORS = 10
ERROR_CHARS = 300
QUEUED = (RetryState.PENDING, RetryState.RETRYING)


class ParamError(ValueError):
    """Bad query parameters: field -> message (a 400 response)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Params:
    days: int = DEFAULT_DAYS
    rule_id: int | None = None
    model: str | None = None


def parse_params(query: Mapping[str, str]) -> Params:
    """`days` (1-90, default 7), optional `rule` (an id) and `model` (an Odoo model name)."""
    errors: dict[str, str] = {}
    days, rule_id, model = DEFAULT_DAYS, None, None
    raw_days = (query.get("days") or "").strip()
    if raw_days:
        if raw_days.isascii() and raw_days.isdigit() and 1 <= int(raw_days) <= MAX_DAYS:
            days = int(raw_days)
        else:
            errors["days"] = f"days must be a whole number from 1 to {MAX_DAYS}."
    raw_rule = (query.get("rule") or "").strip()
    if raw_rule:
        if raw_rule.isascii() and raw_rule.isdigit() and len(raw_rule) < 19:
            rule_id = int(raw_rule)
        else:
            errors["rule"] = "rule must be the id of a webhook rule."
    raw_model = (query.get("model") or "").strip()
    if raw_model:
        if len(raw_model) <= 128:
            model = raw_model
        else:
            errors["model"] = "model must be an Odoo model name (at most 128 characters)."
    if errors:
        raise ParamError(errors)
    return Params(days=days, rule_id=rule_id, model=model)


def check_rule(params: Params) -> None:
    if params.rule_id is not None and not WebhookRule.objects.filter(pk=params.rule_id).exists():
        raise ParamError({"rule": f"No webhook rule with id {params.rule_id}."})


def admin_url(name: str, *args: Any) -> str | None:
    """An admin URL, or None when that admin page is not registered."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def collect_rows(
    *, days: list[date], rule_id: int | None, model: str | None
) -> tuple[list[MetricRow], list[InboundRow]]:
    """Rollup rows for the rolled-up part of each day + live rows for the rest (the tail)."""
    markers = {m.day: m for m in RollupDay.objects.filter(day__gte=days[0], day__lte=days[-1])}
    metrics = DailyMetric.objects.filter(day__in=list(markers))
    metrics = narrowed(metrics, rule_id=rule_id, model=model)
    # DailyMetric has a column per MetricRow field: read them in the dataclass's order.
    columns = [f.name for f in dataclasses.fields(MetricRow)]
    rows = [MetricRow(*values) for values in metrics.order_by().values_list(*columns)]
    inbound = [
        InboundRow(*values)
        for values in DailyInbound.objects.filter(day__in=list(markers))
        .order_by()
        .values_list("day", "state", "verification_status", "count")
    ]
    for day in days:
        start, end = day_bounds(day)
        marker = markers.get(day)
        logs_from = marker.logs_until if marker else start
        if logs_from < end:
            rows += aggregate_logs(day=day, start=logs_from, end=end, rule_id=rule_id, model=model)
        inbound_from = marker.inbound_until if marker else start
        if inbound_from < end:
            inbound += aggregate_inbound(day=day, start=inbound_from, end=end)
    return rows, inbound


def retry_counts(*, rule_id: int | None, model: str | None) -> dict[str, int]:
    """The retry queue and the dead letters as they stand now (not limited to the range)."""
    qs = WebhookRetry.objects.filter(state__in=[*QUEUED, RetryState.EXHAUSTED])
    qs = narrowed(qs, rule_id=rule_id, model=model, model_field="event__model")
    counts = qs.aggregate(
        queue=Count("id", filter=Q(state__in=QUEUED)),
        dead=Count("id", filter=Q(state=RetryState.EXHAUSTED)),
    )
    return {"retry_queue": counts["queue"], "dead_letter": counts["dead"]}


def recent_errors(
    *, since: datetime, rule_id: int | None, model: str | None, limit: int = RECENT_ERRORS
) -> list[dict[str, Any]]:
    qs = WebhookLog.objects.filter(status=LogStatus.FAILED, created_at__gte=since)
    qs = narrowed(qs, rule_id=rule_id, model=model)
    fields = ("id", "created_at", "rule_id", "rule_name", "model", "event_code", "url")
    rows = qs.order_by("-created_at", "-id").values(
        *fields, "response_status", "error", "attempt", "delivery_id"
    )[:limit]
    return [
        {
            **row,
            "created_at": row["created_at"].isoformat(),
            "error": summary_line(row["error"])[:ERROR_CHARS],  # the detail is on the log page
            "admin_url": admin_url("admin:delivery_webhooklog_change", row["id"]),
        }
        for row in rows
    ]


def dashboard_data(*, params: Params, now: datetime | None = None) -> dict[str, Any]:
    """The JSON of GET /webhook/dashboard/data (docs/contract.md; meanings in docs/dashboard.md)."""
    now = now or timezone.now()
    days = day_range(end=timezone.localdate(now), days=params.days)
    rows, inbound = collect_rows(days=days, rule_id=params.rule_id, model=params.model)
    payload = build_payload(rows, inbound, days=days)
    payload["summary"].update(retry_counts(rule_id=params.rule_id, model=params.model))
    since, _ = day_bounds(days[0])
    inbound_counts = payload.pop("inbound")
    payload["recent_errors"] = recent_errors(
        since=since, rule_id=params.rule_id, model=params.model
    )
    payload["inbound"] = inbound_counts
    payload["lanes"] = lanes.needing_attention(rule_id=params.rule_id)
    payload["range"] = {
        "days": params.days,
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "since": since.isoformat(),
        "rule": params.rule_id,
        "model": params.model,
        "generated_at": now.isoformat(),
    }
    return payload


def filter_choices() -> dict[str, list[Any]]:
    """Rules and models offered by the page's filter form."""
    rules = list(WebhookRule.objects.order_by("name", "id").values("id", "name", "model"))
    models = sorted({rule["model"] for rule in rules if rule["model"]})
    return {"rules": rules, "models": models}
