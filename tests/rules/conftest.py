"""Fixtures for the rules tests: the real loopback receiver."""

from __future__ import annotations

from tests.fakes.receiver import receiver  # noqa: F401  (fixture)
