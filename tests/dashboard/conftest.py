"""Dashboard fixtures: rules, back-dated log rows, retries, inbound requests, staff clients."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from delivery.models import WebhookLog, WebhookRetry
from inbound.models import InboundSource, IncomingWebhook
from rules.models import WebhookRule
from tests.fakes.receiver import receiver  # noqa: F401  (fixture)

_serial = itertools.count(1)


def day_start(days_ago: int = 0) -> datetime:
    """Midnight (current time zone) of the day `days_ago` days before today."""
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time.min))


def at(days_ago: int, hour: float = 12.0) -> datetime:
    """A moment of a past day; for today, never later than now."""
    moment = day_start(days_ago) + timedelta(hours=hour)
    return min(moment, timezone.now() - timedelta(seconds=1)) if days_ago == 0 else moment


@pytest.fixture
def make_rule(db) -> Callable[..., WebhookRule]:
    def make(name: str = "Orders to ERP", **kw: Any) -> WebhookRule:
        kw.setdefault("model", "sale.order")
        kw.setdefault("url", f"https://{name.lower().replace(' ', '-')}.example.com/hook")
        return WebhookRule.objects.create(name=name, **kw)

    return make


@pytest.fixture
def make_log(db) -> Callable[..., WebhookLog]:
    """A WebhookLog row; `created_at` is set after insert (the field is auto_now_add)."""

    def make(
        status: str = "success", *, created_at: datetime | None = None, rule=None, **kw: Any
    ) -> WebhookLog:
        if rule is not None:
            kw.setdefault("rule_name", rule.name)
            kw.setdefault("model", rule.model)
            kw.setdefault("url", rule.url)
        kw.setdefault("model", "sale.order")
        kw.setdefault("event_code", "write")
        kw.setdefault("url", "https://erp.example.com/hook")
        kw.setdefault("delivery_id", f"msg_test{next(_serial)}")
        if status in ("success", "failed"):
            kw.setdefault("duration_ms", 100)
            kw.setdefault("response_status", 200 if status == "success" else 503)
        if status == "failed":
            kw.setdefault("error", "HTTP 503")
        log = WebhookLog.objects.create(status=status, rule=rule, **kw)
        if created_at is not None:
            WebhookLog.objects.filter(pk=log.pk).update(created_at=created_at)
            log.created_at = created_at
        return log

    return make


@pytest.fixture
def make_retry(db) -> Callable[..., WebhookRetry]:
    def make(state: str = "pending", **kw: Any) -> WebhookRetry:
        kw.setdefault("delivery_id", f"msg_retry{next(_serial)}")
        if state == "exhausted":
            kw.setdefault("exhausted_at", timezone.now() - timedelta(minutes=5))
        return WebhookRetry.objects.create(state=state, **kw)

    return make


@pytest.fixture
def make_incoming(db) -> Callable[..., IncomingWebhook]:
    source = None

    def make(
        state: str = "done", *, received_at: datetime | None = None, **kw: Any
    ) -> IncomingWebhook:
        nonlocal source
        if source is None:
            source = InboundSource.objects.create(name="Shop", verification="none")
        kw.setdefault("verification_status", "not_required")
        row = IncomingWebhook.objects.create(source=source, state=state, headers={}, **kw)
        if received_at is not None:
            IncomingWebhook.objects.filter(pk=row.pk).update(received_at=received_at)
            row.received_at = received_at
        return row

    return make


@pytest.fixture
def staff_client(admin_user_obj) -> Client:
    client = Client()
    client.force_login(admin_user_obj)
    return client


@pytest.fixture
def plain_user(db):
    return get_user_model().objects.create_user("clerk", "clerk@example.com", "pw-clerk-123")


@pytest.fixture
def plain_token_client(plain_user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=plain_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
