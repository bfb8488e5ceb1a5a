"""GET /webhook/dashboard/data: contract, numbers equal to the logs, filters, bad parameters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.rollups import rollup_days
from delivery.models import WebhookLog
from tests.dashboard.conftest import at, day_start
from tests.dashboard.expected import assert_matches_logs

URL = "/webhook/dashboard/data"
SUMMARY_KEYS = {
    "total_sent", "success_count", "failed_count", "pending_count", "success_rate",
    "avg_duration_ms", "retry_queue", "dead_letter",
}  # fmt: skip


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_an_empty_database_gives_zeros_for_every_day(staff_client):
    data = get(staff_client)
    assert SUMMARY_KEYS <= set(data["summary"])
    assert data["summary"]["total_sent"] == 0
    assert data["summary"]["success_rate"] is None
    assert data["summary"]["avg_duration_ms"] is None
    assert data["top_endpoints"] == data["events_per_model"] == data["event_types"] == []
    assert data["recent_errors"] == []
    assert len(data["daily_traffic"]) == 7
    assert all(d["total"] == d["success"] == d["failed"] == 0 for d in data["daily_traffic"])
    assert data["daily_traffic"][-1]["date"] == timezone.localdate().isoformat()
    assert data["inbound"]["total"] == 0
    assert data["range"]["days"] == 7


def test_the_url_is_the_one_of_the_contract():
    assert reverse("dashboard:data") == URL
    assert reverse("dashboard:index") == "/webhook/dashboard/"


@pytest.mark.django_db
def test_one_day_of_logs_is_counted_exactly(staff_client, make_rule, make_log):
    erp = make_rule("ERP")
    crm = make_rule("CRM", model="res.partner")
    for _ in range(3):
        make_log("success", rule=erp, created_at=at(0, 0), duration_ms=120)
    make_log("failed", rule=erp, created_at=at(0, 0), duration_ms=15000)
    make_log("success", rule=crm, event_code="create", created_at=at(0, 0), duration_ms=40)
    make_log("test", rule=crm, created_at=at(0, 0))
    make_log("pending", rule=crm, created_at=at(0, 0))
    make_log("failed", rule=crm, created_at=at(0, 0), duration_ms=None, error="not sent")

    data = get(staff_client, days=1)

    summary = data["summary"]
    assert summary["total_sent"] == 6
    assert (summary["success_count"], summary["failed_count"]) == (4, 2)
    assert (summary["pending_count"], summary["test_count"]) == (1, 1)
    assert summary["success_rate"] == 66.7
    assert summary["avg_duration_ms"] == round((3 * 120 + 15000 + 40) / 5, 1)
    assert data["top_endpoints"][0] == {
        "url": erp.url, "total": 4, "success": 3, "failed": 1, "success_rate": 75.0,
        "avg_duration_ms": round((3 * 120 + 15000) / 4, 1),
    }  # fmt: skip
    assert data["daily_traffic"] == [
        {"date": timezone.localdate().isoformat(), "total": 6, "success": 4, "failed": 2}
    ]
    assert_matches_logs(data, days=1)


@pytest.mark.django_db
def test_ninety_days_read_from_rollups_and_live_today_agree_with_the_logs(
    staff_client, make_rule, make_log, django_assert_max_num_queries
):
    rules = [make_rule("ERP"), make_rule("CRM", model="res.partner"), make_rule("WMS")]
    for days_ago in range(0, 92, 3):  # 91 days back: one day outside the range
        for index, rule in enumerate(rules):
            status = "failed" if (days_ago + index) % 4 == 0 else "success"
            make_log(status, rule=rule, created_at=at(days_ago, 1 + index), duration_ms=days_ago)
            make_log("success", rule=rule, event_code="create", created_at=at(days_ago, 0))
    live = get(staff_client, days=90)
    assert len(live["daily_traffic"]) == 90
    assert_matches_logs(live, days=90)

    rollup_days(days=92)
    # Rolled up, 90 days are a handful of queries (live, they were two per day).
    with django_assert_max_num_queries(12):
        rolled = get(staff_client, days=90)
    assert_matches_logs(rolled, days=90)
    for key in ("summary", "top_endpoints", "events_per_model", "event_types", "daily_traffic"):
        assert rolled[key] == live[key]

    # Today keeps moving after the rollup: the live tail counts rows added or finished since.
    pending = make_log("pending", rule=rules[0])
    make_log("failed", rule=rules[1])
    WebhookLog.objects.filter(pk=pending.pk).update(status="success", duration_ms=5)
    assert_matches_logs(get(staff_client, days=90), days=90)


@pytest.mark.django_db
def test_a_yesterday_rolled_up_before_midnight_is_completed_live(staff_client, make_rule, make_log):
    rule = make_rule()
    make_log("success", rule=rule, created_at=at(1, 10))
    rollup = rollup_days(days=2, now=day_start(0) - timedelta(hours=1))  # at 23:00 yesterday
    assert rollup
    make_log("failed", rule=rule, created_at=day_start(0) - timedelta(minutes=30))
    make_log("success", rule=rule, created_at=day_start(0) - timedelta(minutes=59, seconds=30))
    assert_matches_logs(get(staff_client, days=2), days=2)


@pytest.mark.django_db
def test_the_rule_filter_counts_only_that_rules_logs(staff_client, make_rule, make_log):
    erp, crm = make_rule("ERP"), make_rule("CRM", model="res.partner")
    for days_ago in (0, 1, 5):
        make_log("success", rule=erp, created_at=at(days_ago, 3))
        make_log("failed", rule=crm, created_at=at(days_ago, 3))
    rollup_days(days=3)

    data = get(staff_client, rule=erp.pk)

    assert data["summary"]["total_sent"] == 3
    assert data["summary"]["failed_count"] == 0
    assert [e["url"] for e in data["top_endpoints"]] == [erp.url]
    assert data["range"]["rule"] == erp.pk
    assert_matches_logs(data, rule_id=erp.pk)


@pytest.mark.django_db
def test_the_model_filter_counts_only_that_models_logs(staff_client, make_rule, make_log):
    erp, crm = make_rule("ERP"), make_rule("CRM", model="res.partner")
    for days_ago in (0, 2, 6):
        make_log("success", rule=erp, created_at=at(days_ago, 3))
        make_log("failed", rule=crm, created_at=at(days_ago, 3))
        make_log("failed", rule=crm, event_code="unlink", created_at=at(days_ago, 4))
    rollup_days(days=7)

    data = get(staff_client, model="res.partner")

    assert data["summary"]["failed_count"] == 6
    assert [m["model"] for m in data["events_per_model"]] == ["res.partner"]
    assert {e["event_code"] for e in data["event_types"]} == {"write", "unlink"}
    assert_matches_logs(data, model="res.partner")
    assert get(staff_client, model="no.such.model")["summary"]["total_sent"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("days=0", "days"),
        ("days=91", "days"),
        ("days=abc", "days"),
        ("days=-3", "days"),
        ("days=1.5", "days"),
        ("rule=xyz", "rule"),
        ("rule=99999", "rule"),
        ("model=" + "x" * 129, "model"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(staff_client, query, field):
    response = staff_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()[field]


@pytest.mark.django_db
@pytest.mark.parametrize("days", [1, 90])
def test_both_ends_of_the_days_range_are_accepted(staff_client, days):
    assert len(get(staff_client, days=days)["daily_traffic"]) == days


@pytest.mark.django_db
def test_anonymous_requests_are_refused_with_json(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.django_db
def test_a_non_staff_session_is_forbidden(client, plain_user):
    client.force_login(plain_user)
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_a_non_staff_token_is_forbidden(plain_token_client):
    assert plain_token_client.get(URL).status_code == 403


@pytest.mark.django_db
def test_a_staff_token_is_accepted(api, make_log):
    make_log("success")
    response = api.get(URL, {"days": 1})
    assert response.status_code == 200
    assert response.json()["summary"]["success_count"] == 1


@pytest.mark.django_db
def test_recent_errors_are_the_newest_failures_with_links(staff_client, make_rule, make_log):
    rule = make_rule()
    failures = [
        make_log("failed", rule=rule, created_at=at(n % 5, 2), error=f"HTTP 50{n % 10}")
        for n in range(12)
    ]
    make_log("failed", rule=rule, created_at=at(8, 2))  # outside the 7 days

    errors = get(staff_client)["recent_errors"]

    newest = sorted(failures, key=lambda log: (log.created_at, log.pk), reverse=True)[:10]
    assert [e["id"] for e in errors] == [log.pk for log in newest]
    first = errors[0]
    assert first["rule_name"] == rule.name and first["response_status"] == 503
    assert first["admin_url"] in (None, f"/admin/delivery/webhooklog/{first['id']}/change/")


@pytest.mark.django_db
def test_retry_queue_and_dead_letters_count_the_open_retries(staff_client, make_rule, make_retry):
    erp, crm = make_rule("ERP"), make_rule("CRM")
    make_retry("pending", rule=erp)
    make_retry("retrying", rule=erp)
    make_retry("exhausted", rule=erp)
    make_retry("exhausted", rule=crm)
    make_retry("succeeded", rule=erp)
    make_retry("cancelled", rule=erp)

    assert get(staff_client)["summary"]["retry_queue"] == 2
    assert get(staff_client)["summary"]["dead_letter"] == 2
    assert get(staff_client, rule=crm.pk)["summary"]["retry_queue"] == 0
    assert get(staff_client, rule=crm.pk)["summary"]["dead_letter"] == 1


@pytest.mark.django_db
def test_inbound_counts_per_state_and_day(staff_client, make_incoming):
    make_incoming("done", received_at=at(0, 0))
    make_incoming("done", received_at=at(1, 5))
    make_incoming("rejected", received_at=at(1, 6), verification_status="failed")
    make_incoming("failed", received_at=at(3, 6))
    make_incoming("done", received_at=at(30, 6))  # outside the 7 days
    rollup_days(days=2)

    inbound = get(staff_client)["inbound"]

    assert inbound["total"] == 4
    assert inbound["states"]["done"] == 2
    assert inbound["states"]["rejected"] == inbound["states"]["failed"] == 1
    assert inbound["verification_failed"] == 1
    yesterday = inbound["daily"][-2]
    assert (yesterday["total"], yesterday["done"], yesterday["rejected"]) == (2, 1, 1)
