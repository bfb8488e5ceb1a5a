"""The logs and retries API: filters, redacted detail, retry and cancel actions, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from delivery.models import RetryState, WebhookLog, WebhookRetry
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_once(receiver: Receiver, django_capture_on_commit_callbacks) -> WebhookRetry:
    make_rule(url=receiver.url_for(), auth_type="bearer", auth_token="tok-123")
    receiver.script(500)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    return WebhookRetry.objects.get()


def test_logs_are_listed_and_filtered(api: APIClient, failed_once: WebhookRetry) -> None:
    rule = failed_once.rule
    assert api.get("/api/logs/", {"status": "failed"}).json()["count"] == 1
    assert api.get("/api/logs/", {"status": "success"}).json()["count"] == 0
    assert api.get("/api/logs/", {"rule": rule.pk, "model": "res.partner"}).json()["count"] == 1
    assert api.get("/api/logs/", {"event": "write"}).json()["count"] == 1
    assert api.get("/api/logs/", {"event_code": "create"}).json()["count"] == 0
    soon = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert api.get("/api/logs/", {"created_after": soon}).json()["count"] == 0
    assert api.get("/api/logs/", {"created_before": soon}).json()["count"] == 1


def test_a_log_detail_shows_the_request_with_secrets_redacted(
    api: APIClient, failed_once: WebhookRetry
) -> None:
    log = WebhookLog.objects.get()
    listed = api.get("/api/logs/").json()["results"][0]
    assert "request_body" not in listed  # the list stays light
    detail = api.get(f"/api/logs/{log.pk}/").json()
    assert detail["request_headers"]["Authorization"] == "***"
    assert detail["response_status"] == 500
    assert "tok-123" not in str(detail)


def test_logs_are_read_only(api: APIClient, failed_once: WebhookRetry) -> None:
    log = WebhookLog.objects.get()
    assert api.delete(f"/api/logs/{log.pk}/").status_code == 405
    assert api.post("/api/logs/", {}).status_code == 405


def test_post_retry_attempts_the_delivery_now(
    api: APIClient,
    failed_once: WebhookRetry,
    receiver: Receiver,
    django_capture_on_commit_callbacks,
) -> None:
    assert api.get("/api/retries/", {"state": "pending"}).json()["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/retries/{failed_once.pk}/retry/")
    assert response.status_code == 202
    assert response.json() == {"count": 1}
    failed_once.refresh_from_db()
    assert failed_once.state == RetryState.SUCCEEDED
    assert len(receiver.requests) == 2
    again = api.post(f"/api/retries/{failed_once.pk}/retry/")
    assert again.status_code == 409


def test_post_cancel_cancels_the_retry(api: APIClient, failed_once: WebhookRetry) -> None:
    assert api.post(f"/api/retries/{failed_once.pk}/cancel/").status_code == 202
    failed_once.refresh_from_db()
    assert failed_once.state == RetryState.CANCELLED


def test_bulk_retry_applies_to_the_filtered_selection(
    api: APIClient, failed_once: WebhookRetry
) -> None:
    assert api.post("/api/retries/retry/?state=exhausted").json() == {"count": 0}
    assert api.post("/api/retries/retry/?state=pending").json() == {"count": 1}


def test_retrying_needs_the_change_permission(failed_once: WebhookRetry) -> None:
    user = get_user_model().objects.create_user("viewer", password="pw-viewer-123")
    user.user_permissions.add(Permission.objects.get(codename="view_webhookretry"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.get("/api/retries/").status_code == 200
    assert client.post(f"/api/retries/{failed_once.pk}/retry/").status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="change_webhookretry"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=user).key}")
    assert client.post(f"/api/retries/{failed_once.pk}/retry/").status_code == 202


def test_the_api_needs_authentication(failed_once: WebhookRetry) -> None:
    assert APIClient().get("/api/logs/").status_code in (401, 403)


def test_logs_are_filtered_by_record_id(
    api: APIClient, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for())
    with django_capture_on_commit_callbacks(execute=True):
        emit(record_id=42)
        emit(record_id=7, data={"id": 7, "name": "Deco Addict"})
    assert api.get("/api/logs/").json()["count"] == 2
    listed = api.get("/api/logs/", {"record_id": 7}).json()
    assert [log["record_id"] for log in listed["results"]] == [7]
