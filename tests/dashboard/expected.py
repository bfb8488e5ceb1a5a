"""What the dashboard must show, recomputed naively from the WebhookLog rows (the oracle)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.utils import timezone

from delivery.models import WebhookLog
from tests.dashboard.conftest import day_start


def _rate(success: int, sent: int) -> float | None:
    return round(100.0 * success / sent, 1) if sent else None


def _avg(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _groups(logs: list[WebhookLog], attr: str, limit: int | None = None) -> list[dict[str, Any]]:
    acc: dict[str, dict[str, Any]] = defaultdict(lambda: {"s": 0, "f": 0, "d": []})
    for log in logs:
        if log.status not in ("success", "failed"):
            continue
        item = acc[getattr(log, attr)]
        item["s" if log.status == "success" else "f"] += 1
        if log.duration_ms is not None:
            item["d"].append(log.duration_ms)
    out = [
        {
            attr: key,
            "total": v["s"] + v["f"],
            "success": v["s"],
            "failed": v["f"],
            "success_rate": _rate(v["s"], v["s"] + v["f"]),
            "avg_duration_ms": _avg(v["d"]),
        }
        for key, v in acc.items()
    ]
    out.sort(key=lambda item: (-item["total"], item[attr]))
    return out[:limit] if limit else out


def expected(days: int = 7, *, rule_id: int | None = None, model: str | None = None) -> dict:
    recent = WebhookLog.objects.filter(created_at__gte=day_start(days - 1))
    if rule_id is not None:
        recent = recent.filter(rule_id=rule_id)
    if model is not None:
        recent = recent.filter(model=model)
    logs = list(recent)
    by_status: defaultdict[str, int] = defaultdict(int)
    for log in logs:
        by_status[log.status] += 1
    sent = by_status["success"] + by_status["failed"]
    durations = [
        log.duration_ms
        for log in logs
        if log.status in ("success", "failed") and log.duration_ms is not None
    ]
    today = timezone.localdate()
    daily = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        of_day = [log for log in logs if timezone.localdate(log.created_at) == day]
        s = sum(1 for log in of_day if log.status == "success")
        f = sum(1 for log in of_day if log.status == "failed")
        daily.append({"date": day.isoformat(), "total": s + f, "success": s, "failed": f})
    return {
        "summary": {
            "total_sent": sent,
            "success_count": by_status["success"],
            "failed_count": by_status["failed"],
            "pending_count": by_status["pending"],
            "test_count": by_status["test"],
            "success_rate": _rate(by_status["success"], sent),
            "avg_duration_ms": _avg(durations),
        },
        "top_endpoints": _groups(logs, "url", limit=10),
        "events_per_model": _groups(logs, "model"),
        "event_types": _groups(logs, "event_code"),
        "daily_traffic": daily,
    }


def assert_matches_logs(data: dict, days: int = 7, **filters: Any) -> None:
    want = expected(days, **filters)
    summary = {k: v for k, v in data["summary"].items() if k not in ("retry_queue", "dead_letter")}
    assert summary == want["summary"]
    for key in ("top_endpoints", "events_per_model", "event_types", "daily_traffic"):
        assert data[key] == want[key], key
