"""Fixtures for the delivery tests: the real loopback receiver and a retry-sweep driver."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from delivery import sweeps
from delivery.models import RetryState, WebhookRetry
from tests.factories import emit
from tests.fakes.receiver import receiver  # noqa: F401  (fixture)


@pytest.fixture
def send(django_capture_on_commit_callbacks) -> Callable[..., object]:
    """Record the standard event and let its deliveries go out."""

    def run(**overrides: object) -> object:
        with django_capture_on_commit_callbacks(execute=True):
            return emit(**overrides)

    return run


@pytest.fixture
def run_due_retries(django_capture_on_commit_callbacks) -> Callable[[], int]:
    """Make every waiting retry due now (no sleeping through backoff) and run the retry sweep."""

    def run() -> int:
        WebhookRetry.objects.filter(state=RetryState.PENDING).update(
            next_retry_at=timezone.now() - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            return sweeps.retry_sweep()

    return run
