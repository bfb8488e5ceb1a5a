"""The field picker in a real browser (Debian's headless Chromium driven by Playwright).

Skipped with the reason when Chromium or Playwright's driver is absent; nothing is downloaded.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from hub.models import OdooConnection
from tests.fakes.odoo import DB, HUB_PASSWORD
from tests.hub.browser import ARGS, browser_or_skip

pytestmark = pytest.mark.browser


OPTIONS = """input => {
  const list = document.getElementById(input.getAttribute('list'));
  return list ? Array.from(list.options).map(o => o.value) : [];
}"""


@pytest.mark.django_db(transaction=True)
def test_the_picker_suggests_fields_and_follows_relations(live_server, fake_odoo):
    sync_playwright, executable = browser_or_skip()
    # All ORM work happens before Playwright starts its event loop in this thread.
    conn = OdooConnection.objects.create(
        name="fake", url=fake_odoo.url, database=DB, username="hub", password=HUB_PASSWORD
    )
    get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/login/?next=/admin/hub/modelhook/add/")
            page.fill("#id_username", "boss")
            page.fill("#id_password", "pw-boss-123")
            page.click("input[type=submit]")
            page.select_option("#id_connection", str(conn.pk))
            page.fill("#id_model", "sale.order")

            tracked = page.locator("#id_tracked_fields")
            tracked.focus()
            page.wait_for_function("() => document.querySelectorAll('datalist option').length > 0")
            names = tracked.evaluate(OPTIONS)
            assert {"partner_id", "state", "order_line"} <= set(names)
            tracked.fill("state, ")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('datalist option'))"
                ".some(o => o.value === 'state, partner_id')"
            )

            # A payload field input (as in the rule admin's inline) follows relations.
            page.evaluate("""() => {
              const input = document.createElement('input');
              input.name = 'payload_fields-0-source_path';
              input.id = 'picker-probe';
              document.querySelector('form').appendChild(input);
            }""")
            probe = page.locator("#picker-probe")
            probe.focus()
            probe.fill("partner_id.")
            page.wait_for_function(
                "() => { const i = document.getElementById('picker-probe');"
                " const l = document.getElementById(i.getAttribute('list'));"
                " return l && Array.from(l.options)"
                ".some(o => o.value === 'partner_id.country_id'); }"
            )
            assert "partner_id.email" in probe.evaluate(OPTIONS)
        finally:
            browser.close()
