"""Moved to tests/factories.py; this name stays while tests written elsewhere still import it."""

from __future__ import annotations

from tests.factories import emit, make_rule

__all__ = ["emit", "make_rule"]
