"""What the delivery pages say: one-line transport errors (raw text on the log page), attempts."""

from __future__ import annotations

import socket

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from urllib3.exceptions import MaxRetryError, NameResolutionError

from delivery.models import WebhookLog, WebhookRetry
from hub.lib.errors import friendly_error, summary_line
from hub.lib.http import Outcome, send
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver, Reply


def closed_port() -> int:
    with socket.socket() as s:  # free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_says_who_refused_it() -> None:
    port = closed_port()
    result = send(method="POST", url=f"http://127.0.0.1:{port}/hook", body=b"x", timeout=5)
    assert result.outcome is Outcome.RETRY
    assert summary_line(result.error) == f"connection refused by 127.0.0.1:{port}"
    assert "Connection refused" in result.error.split("\n", 1)[1]  # the raw detail is kept


def test_a_timeout_says_how_long_it_waited(receiver: Receiver) -> None:
    receiver.script(Reply(delay=2))
    result = send(method="POST", url=receiver.url_for(), body=b"x", timeout=1)
    assert (
        summary_line(result.error)
        == f"timeout after 1 s waiting for {receiver_where(receiver)} to answer"
    )


def test_a_dropped_connection_says_the_target_reset_it(receiver: Receiver) -> None:
    receiver.script(Reply(drop=True))
    result = send(method="POST", url=receiver.url_for(), body=b"x", timeout=5)
    assert summary_line(result.error) == f"connection reset by {receiver_where(receiver)}"


def test_a_failed_dns_lookup_names_the_host() -> None:
    # Built as requests raises it (no DNS query leaves this machine in a test).
    lookup = NameResolutionError("hooks.example.test", None, socket.gaierror(-2, "Name unknown"))
    exc = requests.ConnectionError(MaxRetryError(None, "/", reason=lookup))
    error = friendly_error(exc, url="https://hooks.example.test/in", timeout=15)
    assert error == "DNS lookup failed for hooks.example.test"


def test_lists_and_messages_show_the_summary_and_the_log_page_the_detail(
    admin_client: Client, django_capture_on_commit_callbacks
) -> None:
    port = closed_port()
    make_rule(url=f"http://127.0.0.1:{port}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    log = WebhookLog.objects.get()
    summary = f"connection refused by 127.0.0.1:{port}"
    logs = admin_client.get(reverse("admin:delivery_webhooklog_changelist")).content.decode()
    retries = admin_client.get(reverse("admin:delivery_webhookretry_changelist")).content.decode()
    detail = admin_client.get(reverse("admin:delivery_webhooklog_change", args=[log.pk]))
    raw = log.error.split("\n", 1)[1]  # the HTTP library's own words
    for page in (logs, retries):
        assert summary in page
        assert escape(raw) not in page
    assert escape(raw) in detail.content.decode()
    assert WebhookRetry.objects.get().last_error.startswith(summary)
    data = admin_client.get("/webhook/dashboard/data").json()
    assert [e["error"] for e in data["recent_errors"]] == [summary]


def receiver_where(receiver: Receiver) -> str:
    return receiver.url_for().split("/")[2]


pytestmark = pytest.mark.django_db


def test_a_manual_retry_past_the_maximum_is_shown_as_manual_not_as_2_of_1(
    admin_client: Client, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    make_rule(url=receiver.url_for(), max_retries=1)
    receiver.script(500, 500)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    entry = WebhookRetry.objects.get()
    assert (entry.state, entry.attempts) == ("exhausted", 1)
    changelist = reverse("admin:delivery_webhookretry_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "retry_now", "_selected_action": [entry.pk]})
    assert WebhookRetry.objects.get().attempts == 2
    page = admin_client.get(changelist).content.decode()
    assert "1 / 1 + 1 manual" in page
    assert "2 / 1" not in page
