"""Fixtures for the operations tests: a real closed loopback port, the receiver, the fake Odoo."""

from __future__ import annotations

import socket

import pytest

from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: F401
from tests.fakes.receiver import receiver  # noqa: F401


def free_port() -> int:
    """A loopback port nothing listens on (bound then released: connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    return free_port()
