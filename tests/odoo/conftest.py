"""Fixtures for the Odoo connector tests: the fake Odoo server (tests.fakes.odoo).

`pytest_plugins` is only allowed in the root conftest, so the fixtures are imported here; other
test packages do the same: ``from tests.fakes.odoo import fake_odoo, odoo_conn``.
"""

from __future__ import annotations

from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: F401
