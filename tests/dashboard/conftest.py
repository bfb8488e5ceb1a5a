"""Dashboard fixtures: rules, back-dated log rows, retries, inbound requests, staff clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from delivery.models import WebhookLog, WebhookRetry
from inbound.models import IncomingWebhook
from rules.models import WebhookRule
from tests import factories
from tests.fakes.receiver import receiver  # noqa: F401  (fixture)


def day_start(days_ago: int = 0) -> datetime:
    """Midnight (current time zone) of the day `days_ago` days before today."""
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time.min))


def at(days_ago: int, hour: float = 12.0) -> datetime:
    """A moment of a past day; for today, never later than now."""
    moment = day_start(days_ago) + timedelta(hours=hour)
    return min(moment, timezone.now() - timedelta(seconds=1)) if days_ago == 0 else moment


# Fixtures only for database access: the factories themselves are in tests/factories.py.
@pytest.fixture
def make_rule(db: None) -> Callable[..., WebhookRule]:
    return partial(factories.make_rule, model="sale.order", events=())


@pytest.fixture
def make_log(db: None) -> Callable[..., WebhookLog]:
    return factories.make_log


@pytest.fixture
def make_retry(db: None) -> Callable[..., WebhookRetry]:
    return factories.make_retry


@pytest.fixture
def make_incoming(db: None) -> Callable[..., IncomingWebhook]:
    return factories.make_incoming


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
    return factories.token_client(plain_user)
