"""Fixtures for the Odoo connector tests: the fake Odoo server (tests.fakes.odoo).

`pytest_plugins` is only allowed in the root conftest, so the fixtures are imported here; other
test packages do the same: ``from tests.fakes.odoo import fake_odoo, odoo_conn``.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_fields_cache():
    # fields_get is cached per connection id, and ids are reused between tests.
    cache.clear()
    yield
    cache.clear()
