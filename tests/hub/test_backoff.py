"""Backoff: exponential, capped, jittered, honouring Retry-After within [computed, cap]."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.lib.backoff import next_delay, parse_retry_after

POLICY = {"initial": 60.0, "multiplier": 2.0, "cap": 86400.0}


def middle() -> float:
    return 0.5  # no jitter: 1 + 0.2 * (2 * 0.5 - 1) == 1


@pytest.mark.parametrize(("attempt", "delay"), [(1, 60), (2, 120), (3, 240), (5, 960)])
def test_it_grows_exponentially_from_the_initial_delay(attempt: int, delay: float) -> None:
    assert next_delay(attempt=attempt, rand=middle, **POLICY) == delay


def test_it_never_exceeds_the_cap_even_with_jitter() -> None:
    assert next_delay(attempt=40, rand=lambda: 0.999, **POLICY) == 86400
    assert next_delay(attempt=5000, rand=middle, **POLICY) == 86400


def test_jitter_stays_within_twenty_percent() -> None:
    assert next_delay(attempt=1, rand=lambda: 0.0, **POLICY) == pytest.approx(48)
    assert next_delay(attempt=1, rand=lambda: 1.0, **POLICY) == pytest.approx(72)


def test_retry_after_is_honoured_when_later_than_the_computed_delay() -> None:
    assert next_delay(attempt=1, retry_after=600, rand=middle, **POLICY) == 600


def test_retry_after_never_shortens_the_computed_delay() -> None:
    assert next_delay(attempt=3, retry_after=5, rand=middle, **POLICY) == 240


def test_retry_after_never_passes_the_cap() -> None:
    assert next_delay(attempt=1, retry_after=10**9, rand=middle, **POLICY) == 86400


def test_it_parses_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:02:00 GMT", now=now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
