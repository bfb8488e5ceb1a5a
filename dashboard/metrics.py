"""Pure core of the dashboard: turns grouped log counts into the numbers of the dashboard JSON.

Everything here works on plain rows (one per day x rule x model x event code x url), whether
they came from the DailyMetric rollups or live from WebhookLog, so it is tested without a DB.
Definitions (docs/dashboard.md): "sent" = success + failed attempt rows; test and pending rows
are counted separately and never in totals, rates or latency.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

INBOUND_STATES = ("received", "processing", "done", "failed", "rejected", "duplicate")


@dataclass
class MetricRow:
    """Counts of WebhookLog rows of one day and one group."""

    day: date
    rule_id: int | None
    rule_name: str
    model: str
    event_code: str
    url: str
    success: int = 0
    failed: int = 0
    test: int = 0
    pending: int = 0
    duration_sum_ms: int = 0
    duration_count: int = 0

    @property
    def sent(self) -> int:
        return self.success + self.failed


@dataclass
class InboundRow:
    """Counts of IncomingWebhook rows of one day, processing state and verification status."""

    day: date
    state: str
    verification_status: str
    count: int


def group_key(*, rule_id: int | None, rule_name: str, model: str, event_code: str, url: str) -> str:
    """Stable identity of a rollup group (hashed: urls are too long for a portable index)."""
    raw = json.dumps([rule_id, rule_name, model, event_code, url], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def day_range(*, end: date, days: int) -> list[date]:
    """The `days` calendar days ending with `end` (inclusive), oldest first."""
    return [end - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def success_rate(success: int, sent: int) -> float | None:
    """Percentage of sent attempts that succeeded, one decimal; None when nothing was sent."""
    return round(100.0 * success / sent, 1) if sent else None


def average(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


def summarize(rows: Iterable[MetricRow]) -> dict[str, Any]:
    """The log-derived part of `summary` (retry_queue and dead_letter come from the retry table)."""
    success = failed = test = pending = duration_sum = duration_count = 0
    for row in rows:
        success += row.success
        failed += row.failed
        test += row.test
        pending += row.pending
        duration_sum += row.duration_sum_ms
        duration_count += row.duration_count
    return {
        "total_sent": success + failed,
        "success_count": success,
        "failed_count": failed,
        "pending_count": pending,
        "test_count": test,
        "success_rate": success_rate(success, success + failed),
        "avg_duration_ms": average(duration_sum, duration_count),
    }


def breakdown(
    rows: Iterable[MetricRow],
    *,
    name: str,
    key: Callable[[MetricRow], str],
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Sent attempts grouped by `key`, busiest first; groups with nothing sent are left out."""
    groups: dict[str, list[int]] = {}
    for row in rows:
        acc = groups.setdefault(key(row), [0, 0, 0, 0])
        acc[0] += row.success
        acc[1] += row.failed
        acc[2] += row.duration_sum_ms
        acc[3] += row.duration_count
    items: list[dict[str, Any]] = [
        {
            name: value,
            "total": success + failed,
            "success": success,
            "failed": failed,
            "success_rate": success_rate(success, success + failed),
            "avg_duration_ms": average(duration_sum, duration_count),
        }
        for value, (success, failed, duration_sum, duration_count) in groups.items()
        if success + failed
    ]
    items.sort(key=lambda item: (-item["total"], item[name]))
    return items[:limit] if limit is not None else items


def daily_traffic(rows: Iterable[MetricRow], *, days: list[date]) -> list[dict[str, Any]]:
    """One entry per day of the range, zeros included, oldest first."""
    per_day = {day: [0, 0] for day in days}
    for row in rows:
        acc = per_day.get(row.day)
        if acc is not None:
            acc[0] += row.success
            acc[1] += row.failed
    return [
        {"date": day.isoformat(), "total": s + f, "success": s, "failed": f}
        for day, (s, f) in per_day.items()
    ]


def inbound_counts(rows: Iterable[InboundRow], *, days: list[date]) -> dict[str, Any]:
    """Inbound requests in the range: per processing state, failed verifications, and per day."""
    states = dict.fromkeys(INBOUND_STATES, 0)
    per_day = {day: dict.fromkeys(INBOUND_STATES, 0) for day in days}
    verification_failed = 0
    for row in rows:
        if row.day not in per_day:
            continue
        states[row.state] = states.get(row.state, 0) + row.count
        per_day[row.day][row.state] = per_day[row.day].get(row.state, 0) + row.count
        if row.verification_status == "failed":
            verification_failed += row.count
    return {
        "total": sum(states.values()),
        "states": states,
        "verification_failed": verification_failed,
        "daily": [
            {"date": day.isoformat(), "total": sum(counts.values()), **counts}
            for day, counts in per_day.items()
        ],
    }


def build_payload(
    rows: list[MetricRow], inbound: list[InboundRow], *, days: list[date], top: int = 10
) -> dict[str, Any]:
    """Everything of the JSON that derives from grouped counts."""
    return {
        "summary": summarize(rows),
        "top_endpoints": breakdown(rows, name="url", key=lambda r: r.url, limit=top),
        "events_per_model": breakdown(rows, name="model", key=lambda r: r.model),
        "daily_traffic": daily_traffic(rows, days=days),
        "event_types": breakdown(rows, name="event_code", key=lambda r: r.event_code),
        "inbound": inbound_counts(inbound, days=days),
    }
