"""Log retention (what is deleted, what is kept, in batches) and the dead-letter summary."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Task

from dashboard.models import JobState
from dashboard.selectors import Params, dashboard_data
from delivery import maintenance
from delivery.models import WebhookLog
from hub.lib import queue
from hub.maintenance import tasks
from tests.dashboard.conftest import at
from tests.fakes.receiver import Receiver


def ago(days: float):
    return timezone.now() - timedelta(days=days)


def remaining() -> set[int]:
    return set(WebhookLog.objects.values_list("pk", flat=True))


@pytest.fixture
def retention(settings):
    settings.HUB_LOG_RETENTION_DAYS = 30
    settings.HUB_FAILED_LOG_RETENTION_DAYS = 90
    return settings


# --- retention -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_success_and_test_logs_older_than_the_retention_are_deleted(retention, make_log):
    old = [make_log("success", created_at=ago(31)), make_log("test", created_at=ago(45))]
    young = [make_log("success", created_at=ago(29)), make_log("test", created_at=ago(1))]

    summary = maintenance.cleanup_logs()

    assert remaining() == {log.pk for log in young}
    assert summary.startswith("deleted 2 log(s) (1 success, 1 test, 0 failed)")
    assert old


@pytest.mark.django_db
def test_failed_logs_are_kept_until_their_own_longer_window(retention, make_log):
    kept = make_log("failed", created_at=ago(60))
    make_log("failed", created_at=ago(91))

    summary = maintenance.cleanup_logs()

    assert remaining() == {kept.pk}
    assert "1 failed" in summary


@pytest.mark.django_db
def test_pending_logs_are_never_deleted(retention, make_log):
    stuck = make_log("pending", created_at=ago(400))
    maintenance.cleanup_logs()
    assert remaining() == {stuck.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["pending", "retrying", "exhausted"])
def test_logs_of_an_open_retry_are_kept_however_old(retention, make_log, make_retry, state):
    retry = make_retry(state)
    linked = make_log("failed", created_at=ago(200), retry=retry)
    same_delivery = make_log("failed", created_at=ago(200), delivery_id=retry.delivery_id)
    make_log("success", created_at=ago(200))

    maintenance.cleanup_logs()

    assert remaining() == {linked.pk, same_delivery.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["succeeded", "cancelled"])
def test_logs_of_a_resolved_retry_follow_the_normal_rules(retention, make_log, make_retry, state):
    retry = make_retry(state)
    make_log("failed", created_at=ago(200), retry=retry)
    young = make_log("success", created_at=ago(2), retry=retry)
    maintenance.cleanup_logs()
    assert remaining() == {young.pk}


@pytest.mark.django_db
def test_deletion_runs_in_bounded_batches_and_the_next_run_continues(retention, make_log):
    for _ in range(5):
        make_log("success", created_at=ago(40))
    young = make_log("success", created_at=ago(3))

    first = maintenance.cleanup_logs(batch_size=2, max_batches=2)
    assert len(remaining()) == 2
    assert "in 2 batch(es)" in first and "the next run continues" in first

    second = maintenance.cleanup_logs(batch_size=2, max_batches=2)
    assert remaining() == {young.pk}
    assert second.startswith("deleted 1 log(s)") and "continues" not in second


@pytest.mark.django_db
def test_zero_days_keeps_logs_forever(settings, make_log):
    settings.HUB_LOG_RETENTION_DAYS = 0
    settings.HUB_FAILED_LOG_RETENTION_DAYS = 0
    make_log("success", created_at=ago(999))
    assert "disabled" in maintenance.cleanup_logs()
    assert len(remaining()) == 1


@pytest.mark.django_db
def test_the_scheduled_job_rolls_up_days_before_deleting_their_logs(retention, make_log):
    for _ in range(4):
        make_log("success", created_at=at(45, 6))
    make_log("failed", created_at=at(45, 7))

    summary = tasks.log_retention()

    assert "deleted 4 log(s)" in summary and "rolled up" in summary
    data = dashboard_data(params=Params(days=60))
    assert data["summary"]["success_count"] == 4  # history survives the cleanup
    assert data["summary"]["failed_count"] == 1


@pytest.mark.django_db
def test_the_jobs_run_through_django_q_and_store_their_summary(retention, make_log):
    make_log("success", created_at=ago(40))
    queue.enqueue("hub.maintenance.tasks.log_retention", task_name="retention-test")
    task = Task.objects.get(name="retention-test")
    assert task.success
    assert task.result.startswith("deleted 1 log(s)")


# --- dead letters ----------------------------------------------------------------------------


@pytest.fixture
def ops(settings):
    settings.HUB_OPS_EMAIL = "ops@example.com, oncall@example.com"
    settings.HUB_OPS_WEBHOOK_URL = ""
    return settings


@pytest.mark.django_db
def test_newly_exhausted_deliveries_are_mailed_once(ops, make_rule, make_retry, mailoutbox):
    rule = make_rule("Orders to ERP")
    make_retry("exhausted", rule=rule, delivery_id="msg_a", attempts=10, last_status=503,
               last_error="HTTP 503")  # fmt: skip
    make_retry("exhausted", rule=rule, delivery_id="msg_b", attempts=10)
    make_retry("exhausted", delivery_id="msg_old", exhausted_at=ago(3))  # before the window
    make_retry("succeeded", delivery_id="msg_ok", exhausted_at=ago(0.1))

    summary = tasks.dead_letters()

    assert summary == "2 new dead letter(s); sent by e-mail to ops@example.com, oncall@example.com"
    (mail,) = mailoutbox
    assert mail.to == ["ops@example.com", "oncall@example.com"]
    assert mail.subject == "[webhook hub] 2 new dead letter(s)"
    assert "msg_a: rule 'Orders to ERP' -> https://orders-to-erp.example.com/hook" in mail.body
    assert "last: HTTP 503" in mail.body and "msg_b" in mail.body
    assert "msg_old" not in mail.body and "msg_ok" not in mail.body
    assert "/admin/delivery/webhookretry/?state__exact=exhausted" in mail.body

    assert tasks.dead_letters().startswith("no new dead letters")
    assert len(mailoutbox) == 1
    assert JobState.objects.get(name="dead_letters").last_until is not None


@pytest.mark.django_db
def test_the_summary_is_posted_to_the_ops_webhook(ops, make_rule, make_retry, receiver):
    ops.HUB_OPS_EMAIL = ""
    ops.HUB_OPS_WEBHOOK_URL = receiver.url_for("/ops")
    make_retry("exhausted", rule=make_rule("CRM"), delivery_id="msg_c", attempts=4)

    summary = tasks.dead_letters()

    (request,) = receiver.wait_for(1)
    assert summary == "1 new dead letter(s); sent by webhook"
    assert request.method == "POST" and request.path == "/ops"
    assert request.header("X-Webhook-Event") == "hub.dead_letters"
    body = request.json()
    assert body["type"] == "hub.dead_letters" and body["count"] == 1
    assert body["items"][0]["delivery_id"] == "msg_c"
    assert "1 new dead letter(s)" in body["text"]


@pytest.mark.django_db
def test_a_failed_notification_is_sent_again_next_run(ops, make_retry):
    ops.HUB_OPS_EMAIL = ""
    make_retry("exhausted", delivery_id="msg_d")
    with Receiver(default=500) as down:
        ops.HUB_OPS_WEBHOOK_URL = down.url_for("/ops")
        first = tasks.dead_letters()
        down.wait_for(1)
    assert "webhook failed: HTTP 500" in first and "reported again" in first
    assert JobState.objects.get(name="dead_letters").last_until is None

    with Receiver() as up:
        ops.HUB_OPS_WEBHOOK_URL = up.url_for("/ops")
        second = tasks.dead_letters()
        (request,) = up.wait_for(1)
    assert second == "1 new dead letter(s); sent by webhook"
    assert request.json()["items"][0]["delivery_id"] == "msg_d"


@pytest.mark.django_db
def test_without_a_channel_the_summary_goes_to_the_log_only(settings, make_retry, mailoutbox):
    settings.HUB_OPS_EMAIL = settings.HUB_OPS_WEBHOOK_URL = ""
    make_retry("exhausted", delivery_id="msg_e")
    assert tasks.dead_letters() == "1 new dead letter(s); no channel configured"
    assert mailoutbox == []


def test_the_report_lists_each_dead_letter_and_how_many_more():
    now = timezone.now()
    items = [
        maintenance.DeadLetter(
            id=7, delivery_id="msg_x", rule="ERP", url="https://erp/h", event="sale.order.write #4",
            attempts=10, last_status=None, last_error="timeout after 15 s", exhausted_at=now,
            admin_url="https://hub/admin/delivery/webhookretry/7/change/",
        )
    ]  # fmt: skip
    subject, text = maintenance.format_report(
        count=3, items=items, since=now - timedelta(days=1), until=now, list_url=""
    )
    assert subject == "[webhook hub] 3 new dead letter(s)"
    assert "sale.order.write #4; 10 attempt(s); last: no response" in text
    assert "error: timeout after 15 s" in text
    assert "... and 2 more." in text


@pytest.mark.django_db
def test_a_failed_ops_webhook_is_reported_without_its_secret_path(ops, make_retry, caplog):
    # Slack/Mattermost-style incoming webhooks carry their token in the path; a connection
    # error quotes the path, and the summary lands in django-q's admin and the log.
    ops.HUB_OPS_EMAIL = ""
    make_retry("exhausted", delivery_id="msg_f")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ops.HUB_OPS_WEBHOOK_URL = f"http://127.0.0.1:{port}/hooks/T0-tok3n-s3cr3t"
    with caplog.at_level("WARNING"):
        summary = tasks.dead_letters()
    assert f"webhook failed: connection refused by 127.0.0.1:{port}" in summary
    assert "reported again" in summary
    assert "tok3n-s3cr3t" not in summary
    assert "tok3n-s3cr3t" not in caplog.text
