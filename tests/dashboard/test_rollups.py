"""Rollups: idempotent, exact up to their cutoff, history kept once logs are cleaned up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.models import DailyInbound, DailyMetric, RollupDay
from dashboard.rollups import day_bounds, rollup, rollup_days, rollup_recent
from dashboard.selectors import Params, dashboard_data
from delivery.models import WebhookLog
from tests.dashboard.conftest import at, day_start
from tests.dashboard.expected import assert_matches_logs


def table(model) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    return sorted(model.objects.values_list(*fields))


@pytest.mark.django_db
def test_a_rollup_run_twice_gives_the_same_rows(make_rule, make_log, make_incoming):
    rule = make_rule()
    for hour in range(5):
        make_log("success", rule=rule, created_at=at(2, hour), duration_ms=10 * hour)
        make_log("failed", rule=rule, event_code="create", created_at=at(2, hour))
    make_incoming("done", received_at=at(2, 3))
    now = timezone.now()

    rollup(day=timezone.localdate() - timedelta(days=2), now=now)
    first = (table(DailyMetric), table(DailyInbound))
    rollup(day=timezone.localdate() - timedelta(days=2), now=now)

    assert (table(DailyMetric), table(DailyInbound)) == first
    assert len(first[0]) == 2  # (rule, write) and (rule, create)
    assert sum(row.success + row.failed for row in DailyMetric.objects.all()) == 10


@pytest.mark.django_db
def test_a_closed_day_is_counted_up_to_its_end(make_log):
    make_log("success", created_at=at(1, 23.99))
    marker = rollup(day=timezone.localdate() - timedelta(days=1))
    _, end = day_bounds(marker.day)
    assert marker.logs_until == end == marker.inbound_until
    assert marker.log_rows == 1


@pytest.mark.django_db
def test_young_pending_logs_stay_out_of_the_rollup_until_they_finish(make_log):
    now = day_start(1) + timedelta(hours=12)  # yesterday noon: the day is still open then
    make_log("success", created_at=now - timedelta(minutes=20))
    pending = make_log("pending", created_at=now - timedelta(minutes=10))

    marker = rollup(day=timezone.localdate(now), now=now)

    assert marker.logs_until == pending.created_at
    assert marker.log_rows == 1 and marker.pending_rows == 0
    WebhookLog.objects.filter(pk=pending.pk).update(status="failed")
    data = dashboard_data(params=Params(days=1), now=now)
    assert data["summary"]["success_count"] == data["summary"]["failed_count"] == 1
    assert data["summary"]["pending_count"] == 0


@pytest.mark.django_db
def test_old_stuck_pending_logs_are_counted_and_their_day_recomputed(make_log):
    stuck = make_log("pending", created_at=at(3, 4))
    rollup_recent()
    day = timezone.localdate() - timedelta(days=3)
    assert RollupDay.objects.get(day=day).pending_rows == 1

    WebhookLog.objects.filter(pk=stuck.pk).update(status="success", duration_ms=7)
    summary = rollup_recent()

    assert day.isoformat() in summary
    assert RollupDay.objects.get(day=day).pending_rows == 0
    assert_matches_logs(dashboard_data(params=Params(days=7)), days=7)


@pytest.mark.django_db
def test_the_schedule_rolls_up_missing_days_within_retention_then_only_the_open_ones(
    settings, make_log
):
    settings.HUB_LOG_RETENTION_DAYS = 30
    for days_ago in range(0, 40, 4):
        make_log("success", created_at=at(days_ago, 6))

    first = rollup_recent(max_days=20)
    assert first.startswith("rolled up 22 day(s)") and "9 more day(s) next run" in first
    assert rollup_recent(max_days=20).startswith("rolled up 11 day(s)")
    assert rollup_recent(max_days=20).startswith("rolled up 2 day(s)")  # today and yesterday
    assert RollupDay.objects.count() == 31
    assert_matches_logs(dashboard_data(params=Params(days=30)), days=30)


@pytest.mark.django_db
def test_days_older_than_retention_keep_their_rollup_when_logs_are_gone(settings, make_log):
    settings.HUB_LOG_RETENTION_DAYS = 30
    old = [make_log("success", created_at=at(40, 6)) for _ in range(3)]
    rollup_days(days=41)
    WebhookLog.objects.filter(pk__in=[log.pk for log in old]).delete()  # the retention job

    assert rollup_days(days=41)  # the young days only
    data = dashboard_data(params=Params(days=41))
    assert data["summary"]["success_count"] == 3
    assert data["daily_traffic"][0]["success"] == 3

    rollup_days(days=41, force=True)
    assert dashboard_data(params=Params(days=41))["summary"]["success_count"] == 0


@pytest.mark.django_db
def test_the_command_rolls_up_the_last_days(make_log):
    make_log("success", created_at=at(1, 6))
    call_command("rollup_metrics", "--days", "3")
    assert RollupDay.objects.count() == 3
    assert DailyMetric.objects.get().success == 1


@pytest.mark.django_db
def test_the_seed_command_creates_rows_over_the_range():
    call_command("seed_logs", "500", "--days", "30", "--rules", "3", "--inbound", "20")
    assert WebhookLog.objects.count() == 500
    oldest = WebhookLog.objects.order_by("created_at").first().created_at
    assert timezone.now() - timedelta(days=30) <= oldest < timezone.now() - timedelta(days=29)
    assert WebhookLog.objects.values("rule").distinct().count() == 3
    rollup_days(days=31)
    assert_matches_logs(dashboard_data(params=Params(days=31)), days=31)


@pytest.mark.django_db(transaction=True)
def test_concurrent_rollups_of_one_day_wait_for_each_other(make_log):
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so rollups never overlap")
    import threading

    for hour in range(6):
        make_log("success", created_at=at(1, hour))
        make_log("failed", event_code="create", created_at=at(1, hour))
    day = timezone.localdate() - timedelta(days=1)
    barrier = threading.Barrier(4, timeout=10)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            rollup(day=day)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert not errors, errors
    assert RollupDay.objects.filter(day=day).count() == 1
    assert sorted(DailyMetric.objects.values_list("event_code", "success", "failed")) == [
        ("create", 0, 6),
        ("write", 6, 0),
    ]
