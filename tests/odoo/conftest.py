"""Fixtures for the Odoo connector tests: the fake Odoo server (tests.fakes.odoo).

`pytest_plugins` is only allowed in the root conftest, so the fixtures are imported here; other
test packages do the same: ``from tests.fakes.odoo import fake_odoo, odoo_conn``.

The connector suites (CONNECTOR_SUITES) run against every flavour of the fake: Odoo 16, 17 and
18 over XML-RPC, and Odoo 19 over JSON-2 with XML-RPC turned off. A test about XML-RPC itself
is marked ``xmlrpc_only``; a test that parametrises ``fake_odoo`` itself is left alone.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.fakes.odoo import FLAVOURS, fake_odoo, odoo_conn  # noqa: F401

CONNECTOR_SUITES = {
    "test_client",
    "test_drift",
    "test_echo",
    "test_nudge",
    "test_poller",
    "test_poller_cheap",
    "test_poller_reads",
    "test_push",
    "test_schedules",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xmlrpc_only: runs on the XML-RPC flavours of the fake")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.module.__name__.rsplit(".", 1)[-1] not in CONNECTOR_SUITES:
        return
    if "fake_odoo" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        if "fake_odoo" in str(marker.args[0]):
            return
    flavours = list(FLAVOURS)
    if metafunc.definition.get_closest_marker("xmlrpc_only"):
        flavours = [f for f in flavours if f.endswith("-xmlrpc")]
    metafunc.parametrize("fake_odoo", flavours, indirect=True)


@pytest.fixture(autouse=True)
def _fresh_fields_cache():
    # fields_get is cached per connection id, and ids are reused between tests.
    cache.clear()
    yield
    cache.clear()
