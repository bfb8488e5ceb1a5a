"""Admin pages for the delivery log and the retry queue render and their actions work."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from delivery.models import RetryState, WebhookLog, WebhookRetry
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(admin_user_obj) -> Client:
    client = Client()
    client.force_login(admin_user_obj)
    return client


@pytest.fixture
def failed_once(receiver: Receiver, django_capture_on_commit_callbacks) -> WebhookRetry:
    make_rule(url=receiver.url_for(), auth_type="bearer", auth_token="tok-123")
    receiver.script(500)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    return WebhookRetry.objects.get()


def test_the_log_list_and_detail_render(
    admin_client_logged_in: Client, failed_once: WebhookRetry
) -> None:
    log = WebhookLog.objects.get()
    listing = admin_client_logged_in.get(reverse("admin:delivery_webhooklog_changelist"))
    assert listing.status_code == 200
    assert log.url in listing.content.decode()
    filtered = admin_client_logged_in.get(
        reverse("admin:delivery_webhooklog_changelist"), {"status__exact": "failed", "q": "msg_"}
    )
    assert filtered.status_code == 200
    detail = admin_client_logged_in.get(reverse("admin:delivery_webhooklog_change", args=[log.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "&quot;Authorization&quot;: &quot;***&quot;" in page  # pretty-printed JSON
    assert "tok-123" not in page


def test_the_retry_list_and_detail_render_with_the_attempts(
    admin_client_logged_in: Client, failed_once: WebhookRetry
) -> None:
    listing = admin_client_logged_in.get(
        reverse("admin:delivery_webhookretry_changelist"), {"state__exact": "pending"}
    )
    assert listing.status_code == 200
    assert failed_once.delivery_id in listing.content.decode()
    detail = admin_client_logged_in.get(
        reverse("admin:delivery_webhookretry_change", args=[failed_once.pk])
    )
    assert detail.status_code == 200
    assert "#1" in detail.content.decode()  # the attempt inline links to the log


def test_the_retry_now_action_attempts_the_selected_deliveries(
    admin_client_logged_in: Client,
    failed_once: WebhookRetry,
    receiver: Receiver,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_logged_in.post(
            reverse("admin:delivery_webhookretry_changelist"),
            {"action": "retry_now", "_selected_action": [failed_once.pk]},
            follow=True,
        )
    assert "1 delivery(ies) sent for another attempt" in response.content.decode()
    failed_once.refresh_from_db()
    assert failed_once.state == RetryState.SUCCEEDED
    assert len(receiver.requests) == 2


def test_the_cancel_action_cancels_the_selected_deliveries(
    admin_client_logged_in: Client, failed_once: WebhookRetry
) -> None:
    admin_client_logged_in.post(
        reverse("admin:delivery_webhookretry_changelist"),
        {"action": "cancel", "_selected_action": [failed_once.pk]},
    )
    failed_once.refresh_from_db()
    assert failed_once.state == RetryState.CANCELLED
