"""The pure core: definitions of the numbers and the query-string parsing (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.metrics import (
    InboundRow,
    MetricRow,
    breakdown,
    daily_traffic,
    day_range,
    group_key,
    inbound_counts,
    success_rate,
    summarize,
)
from dashboard.selectors import ParamError, Params, parse_params

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def row(day=D1, url="https://a.example/h", model="sale.order", event="write", **counts):
    return MetricRow(day, 1, "Rule", model, event, url, **counts)


def test_sent_means_success_plus_failed_and_excludes_test_and_pending():
    rows = [
        row(success=8, failed=2, test=5, pending=3, duration_sum_ms=1000, duration_count=10),
        row(D2, success=1, duration_sum_ms=100, duration_count=1),
    ]
    assert summarize(rows) == {
        "total_sent": 11,
        "success_count": 9,
        "failed_count": 2,
        "pending_count": 3,
        "test_count": 5,
        "success_rate": 81.8,
        "avg_duration_ms": 100.0,
    }


def test_rates_and_averages_are_none_when_nothing_was_sent():
    summary = summarize([row(test=4, pending=1)])
    assert summary["success_rate"] is None and summary["avg_duration_ms"] is None
    assert success_rate(0, 0) is None
    assert success_rate(2, 3) == 66.7


def test_breakdown_is_busiest_first_and_leaves_out_groups_with_nothing_sent():
    rows = [
        row(url="https://b", success=1, failed=1, duration_sum_ms=30, duration_count=2),
        row(url="https://a", success=2, duration_sum_ms=10, duration_count=2),
        row(D2, url="https://c", success=5),
        row(url="https://only-tests", test=9),
    ]
    items = breakdown(rows, name="url", key=lambda r: r.url)
    assert [i["url"] for i in items] == ["https://c", "https://a", "https://b"]
    assert items[2] == {
        "url": "https://b", "total": 2, "success": 1, "failed": 1,
        "success_rate": 50.0, "avg_duration_ms": 15.0,
    }  # fmt: skip
    assert items[0]["avg_duration_ms"] is None  # no durations recorded
    assert len(breakdown(rows, name="url", key=lambda r: r.url, limit=1)) == 1


def test_daily_traffic_has_every_day_of_the_range_zeros_included():
    days = day_range(end=D3, days=3)
    assert days == [D1, D2, D3]
    traffic = daily_traffic(
        [row(D2, success=2, failed=1), row(date(2020, 1, 1), success=9)], days=days
    )
    assert traffic == [
        {"date": "2026-03-01", "total": 0, "success": 0, "failed": 0},
        {"date": "2026-03-02", "total": 3, "success": 2, "failed": 1},
        {"date": "2026-03-03", "total": 0, "success": 0, "failed": 0},
    ]


def test_inbound_counts_states_failed_verifications_and_days():
    rows = [
        InboundRow(D1, "done", "verified", 4),
        InboundRow(D2, "rejected", "failed", 2),
        InboundRow(D2, "done", "not_required", 1),
    ]
    counts = inbound_counts(rows, days=[D1, D2])
    assert counts["total"] == 7
    assert counts["states"]["done"] == 5 and counts["states"]["processing"] == 0
    assert counts["verification_failed"] == 2
    assert counts["daily"][1] == {
        "date": "2026-03-02", "total": 3, "received": 0, "processing": 0, "done": 1,
        "failed": 0, "rejected": 2, "duplicate": 0,
    }  # fmt: skip


def test_the_group_key_is_stable_and_tells_null_rules_apart():
    base = {"rule_name": "R", "model": "m", "event_code": "write", "url": "https://a"}
    assert group_key(rule_id=1, **base) == group_key(rule_id=1, **base)
    assert group_key(rule_id=None, **base) != group_key(rule_id=1, **base)
    assert len(group_key(rule_id=None, **base)) == 64


def test_parameters_default_to_seven_days_and_no_filter():
    assert parse_params({}) == Params(days=7, rule_id=None, model=None)
    assert parse_params({"days": "90", "rule": "4", "model": "sale.order"}) == Params(
        90, 4, "sale.order"
    )


@pytest.mark.parametrize(
    "query",
    [
        {"days": "0"},
        {"days": "91"},
        {"days": "abc"},
        {"days": "٣"},
        {"rule": "1e3"},
        {"rule": "-1"},
    ],
)
def test_parameters_out_of_range_or_not_integers_are_errors(query):
    with pytest.raises(ParamError) as caught:
        parse_params(query)
    assert set(caught.value.errors) == set(query)
