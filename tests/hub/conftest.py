"""Fixtures for the foundation tests."""

from tests.fakes.receiver import receiver  # noqa: F401
