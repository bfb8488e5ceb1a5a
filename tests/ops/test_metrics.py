"""/metrics: who may read it, and the numbers it reports (read from the tables on each scrape)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from prometheus_client.parser import text_string_to_metric_families

from dashboard.rollups import rollup
from delivery.models import BreakerState, Lane, LogStatus, RetryState, WebhookLog, WebhookRetry
from hub.models import ModelHook, OdooConnection
from hub.ops.health import redis_client
from inbound.models import InboundSource, IncomingWebhook
from tests.factories import emit, make_rule

pytestmark = pytest.mark.django_db


def scrape(**extra: str) -> str:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


# --- access -------------------------------------------------------------------------------------


def test_metrics_are_readable_from_the_loopback_address_by_default():
    assert "hub_dead_letters" in scrape()


def test_metrics_are_forbidden_to_other_addresses_without_a_token():
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403


def test_a_request_through_a_local_reverse_proxy_is_not_allowed_by_its_loopback_address():
    # nginx on the same host: every client arrives from 127.0.0.1 with X-Forwarded-For.
    proxied = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 403


@override_settings(HUB_METRICS_TOKEN="s3cret-metrics-token")
def test_with_a_token_configured_a_missing_or_wrong_token_is_401():
    client = Client(REMOTE_ADDR="203.0.113.9")
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    other_scheme = client.get("/metrics", HTTP_AUTHORIZATION="Token s3cret-metrics-token")
    assert other_scheme.status_code == 401


@override_settings(HUB_METRICS_TOKEN="s3cret-metrics-token")
def test_the_right_bearer_token_reads_the_metrics_from_any_address():
    response = Client(REMOTE_ADDR="203.0.113.9").get(
        "/metrics", HTTP_AUTHORIZATION="bearer s3cret-metrics-token"
    )
    assert response.status_code == 200


@override_settings(HUB_METRICS_ALLOW=["10.0.0.0/8"])
def test_an_allowed_network_reads_the_metrics_and_loopback_is_then_refused():
    assert Client(REMOTE_ADDR="10.20.30.40").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


# --- deliveries ---------------------------------------------------------------------------------


def test_the_delivery_counter_moves_after_a_delivery(receiver, django_capture_on_commit_callbacks):
    rule = make_rule(url=receiver.url_for("/hook"))
    before = value(scrape(), "hub_delivery_attempts_total", rule=rule.name, outcome="success")
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    receiver.wait_for(1)
    after = scrape()
    assert before is None
    labels = {"rule_id": str(rule.pk), "rule": rule.name}
    assert value(after, "hub_delivery_attempts_total", **labels, outcome="success") == 1
    assert value(after, "hub_delivery_attempts_total", **labels, outcome="failed") == 0


def test_a_failed_attempt_is_counted_and_its_retry_waits_in_the_queue(
    receiver, django_capture_on_commit_callbacks
):
    receiver.script(503)
    rule = make_rule(url=receiver.url_for("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    receiver.wait_for(1)
    text = scrape()
    assert value(text, "hub_delivery_attempts_total", rule=rule.name, outcome="failed") == 1
    assert value(text, "hub_retry_queue") == 1
    assert value(text, "hub_dead_letters") == 0


def log_row(**fields: object) -> WebhookLog:
    fields.setdefault("status", LogStatus.SUCCESS)
    fields.setdefault("rule_name", "r")
    return WebhookLog.objects.create(url="https://example.com/hook", **fields)


def test_rolled_up_days_are_counted_once_and_survive_log_retention():
    yesterday = timezone.now() - timedelta(days=1)
    for _ in range(3):
        log_row(rule_name="daily")
    WebhookLog.objects.update(created_at=yesterday)
    assert value(scrape(), "hub_delivery_attempts_total", rule="daily", outcome="success") == 3
    rollup(day=timezone.localdate(yesterday))
    assert value(scrape(), "hub_delivery_attempts_total", rule="daily", outcome="success") == 3
    WebhookLog.objects.all().delete()  # the retention job deletes the logs; the rollup stays
    log_row(rule_name="daily")  # and today's logs add to it
    assert value(scrape(), "hub_delivery_attempts_total", rule="daily", outcome="success") == 4


def test_attempt_latency_is_a_histogram_of_the_recent_attempts():
    log_row(duration_ms=30)
    log_row(duration_ms=3000, status=LogStatus.FAILED)
    old = log_row(duration_ms=10)
    WebhookLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    text = scrape()
    name = "hub_delivery_attempt_duration_seconds_bucket"
    assert value(text, name, le="0.025") == 0
    assert value(text, name, le="0.05") == 1
    assert value(text, name, le="5.0") == 2
    assert value(text, name, le="+Inf") == 2
    assert value(text, "hub_delivery_attempt_duration_seconds_gsum") == pytest.approx(3.03)


def test_pending_deliveries_report_their_count_and_the_oldest_age():
    pending = log_row(status=LogStatus.PENDING)
    WebhookLog.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    log_row(status=LogStatus.PENDING)
    text = scrape()
    assert value(text, "hub_deliveries_pending") == 2
    assert 600 <= value(text, "hub_deliveries_oldest_pending_age_seconds") < 3600


def test_dead_letters_are_counted():
    WebhookRetry.objects.create(delivery_id="msg_dead", state=RetryState.EXHAUSTED)
    WebhookRetry.objects.create(delivery_id="msg_done", state=RetryState.SUCCEEDED)
    assert value(scrape(), "hub_dead_letters") == 1


# --- inbound, Odoo, queue -----------------------------------------------------------------------


def test_inbound_requests_are_reported_by_source_name_and_result_never_by_slug():
    source = InboundSource.objects.create(name="Shop", verification="none")
    for state in ("done", "done", "rejected"):
        IncomingWebhook.objects.create(source=source, verification_status="verified", state=state)
    text = scrape()
    labels = {"source_id": str(source.pk), "source": "Shop"}
    assert value(text, "hub_inbound_requests_recent", **labels, result="done") == 2
    assert value(text, "hub_inbound_requests_recent", **labels, result="rejected") == 1
    assert source.slug not in text  # the slug of a `none` source is its secret


def test_odoo_poll_lag_and_errors_are_reported_per_hook():
    conn = OdooConnection.objects.create(
        name="main", url="http://127.0.0.1:1", database="d", username="u"
    )
    ModelHook.objects.create(
        connection=conn,
        model="res.partner",
        last_poll_at=timezone.now() - timedelta(minutes=5),
        last_error="Odoo refused the login",
    )
    ModelHook.objects.create(connection=conn, model="sale.order", last_poll_at=timezone.now())
    text = scrape()
    lag = value(text, "hub_odoo_poll_lag_seconds", connection="main", model="res.partner")
    assert 300 <= lag < 3600
    assert value(text, "hub_odoo_poll_error", connection="main", model="res.partner") == 1
    assert value(text, "hub_odoo_poll_error", connection="main", model="sale.order") == 0
    assert "refused" not in text  # error texts stay in the admin


@override_settings(REDIS_URL="")
def test_the_queue_backlog_counts_the_tasks_waiting_in_the_database_queue():
    OrmQ.objects.create(key=Conf.CLUSTER_NAME, payload="x", lock=timezone.now())
    assert value(scrape(), "hub_queue_backlog", broker="orm") == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_the_queue_backlog_counts_the_tasks_waiting_in_redis():
    client = redis_client(settings.REDIS_URL)
    key = f"django_q:{Conf.CLUSTER_NAME}:q"
    client.delete(key)
    client.rpush(key, "task-1", "task-2")
    try:
        assert value(scrape(), "hub_queue_backlog", broker="redis") == 2
    finally:
        client.delete(key)


def test_a_broker_outage_leaves_the_rest_of_the_metrics_in_the_scrape(closed_port):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port}/0"):
        text = scrape()
    assert value(text, "hub_metrics_part_up", part="backlog") == 0
    assert value(text, "hub_metrics_part_up", part="deliveries") == 1
    assert value(text, "hub_dead_letters") == 0


def test_an_open_breaker_and_a_paused_lane_are_reported_per_endpoint():
    broken = make_rule(name="Flaky ERP")
    held = make_rule(name="Held CRM")
    Lane.objects.create(rule=broken, breaker_state=BreakerState.OPEN)
    Lane.objects.create(rule=held, paused=True)
    text = scrape()
    assert value(text, "hub_delivery_breaker_open", endpoint="Flaky ERP") == 1
    assert value(text, "hub_delivery_breaker_open", endpoint="Held CRM") == 0
    assert value(text, "hub_delivery_lane_paused", endpoint="Held CRM") == 1
    assert value(text, "hub_delivery_lane_paused", endpoint="Flaky ERP") == 0
