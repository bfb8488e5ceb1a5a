"""The admin pages a new integrator uses fit a 1,366 px screen, in a real browser (Chromium)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from rules.models import PayloadField
from tests.dashboard.conftest import make_incoming, make_log, make_retry, make_rule  # noqa: F401
from tests.hub.browser import ARGS, PASSWORD, SCREEN, USER, browser_or_skip, log_in, overflow

if TYPE_CHECKING:
    from playwright.sync_api import Response

pytestmark = pytest.mark.browser

LONG_URL = "https://integration.customer-relationship.example.com/api/v2/webhooks/odoo/partners"
LONG_ERROR = (
    "connection refused by integration.customer-relationship.example.com:443\n"
    "HTTPSConnectionPool(host='integration.customer-relationship.example.com', port=443): Max "
    "retries exceeded with url: /api/v2/webhooks/odoo/partners (Caused by NewConnectionError("
    "'Failed to establish a new connection: [Errno 111] Connection refused'))"
)


def seed(*makers: Any) -> int:
    new_rule, new_log, new_retry, new_incoming = makers
    rule = new_rule("Partners to the customer relationship system", model="res.partner",
                     url=LONG_URL, max_retries=1)  # fmt: skip
    for n, (path, transform, arg) in enumerate(
        [
            ("partner_id.country_id.code", "value_map", '{"BE": "Belgium", "FR": "France"}'),
            ("amount_total", "round", "2"),
            ("order_line.product_id.name", "join", ", "),
        ]
    ):
        PayloadField.objects.create(rule=rule, source_path=path, payload_key=f"key_{n}",
                                    transform=transform, transform_arg=arg,
                                    default_value="unknown", sequence=n)  # fmt: skip
    for _ in range(3):
        new_log("failed", rule=rule, record_id=1234567, response_status=None, error=LONG_ERROR)
    new_retry("exhausted", rule=rule, attempts=2, max_attempts=1, last_error=LONG_ERROR)
    result = {"model": "res.partner", "id": 42, "created": True, "ref": "x" * 80}
    new_incoming("done", idempotency_key="evt_" + "3" * 60, result=result)
    get_user_model().objects.create_superuser(USER, "boss@example.com", PASSWORD)
    return rule.pk


PAGES = [
    ("rule form (payload fields)", "/admin/rules/webhookrule/{rule}/change/",
     "#payload_fields-group table"),
    ("rule list", "/admin/rules/webhookrule/", "#result_list"),
    ("delivery log list", "/admin/delivery/webhooklog/", "#result_list"),
    ("retry list", "/admin/delivery/webhookretry/", "#result_list"),
    ("incoming list", "/admin/inbound/incomingwebhook/", "#result_list"),
]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_admin_pages_fit_1366_px_and_name_their_icon(live_server, request):
    sync_playwright, executable = browser_or_skip()
    # The ORM before Playwright (its loop would make Django refuse ORM calls in this thread).
    makers = ("make_rule", "make_log", "make_retry", "make_incoming")
    rule = seed(*(request.getfixturevalue(name) for name in makers))
    hidden: dict[str, int] = {}
    missing: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport=SCREEN)
            page.set_default_timeout(15_000)

            def on_response(response: Response) -> None:
                if response.status == 404:
                    missing.append(response.url)

            page.on("response", on_response)
            log_in(page, live_server.url)
            for name, url, selector in PAGES:
                page.goto(live_server.url + url.format(rule=rule))
                hidden[name] = overflow(page, selector)
            # The last column of the inline (delete) is on screen, not behind a scroll bar.
            page.goto(f"{live_server.url}/admin/rules/webhookrule/{rule}/change/")
            box = page.locator("#payload_fields-group input[name$='-DELETE']").last.bounding_box()
            page.goto(f"{live_server.url}/admin/delivery/webhookretry/")
            attempts = page.inner_text("#result_list")
            # "View site" opens the dashboard.
            page.click("#user-tools a:has-text('View site')")
            page.wait_for_selector("#hub-dashboard")
            assert urlsplit(page.url).path == "/webhook/dashboard/"
            icon = page.get_attribute("link[rel=icon]", "href")
        finally:
            browser.close()
    assert hidden == dict.fromkeys(hidden, 0), f"pixels hidden to the right: {hidden}"
    assert box and box["x"] + box["width"] <= SCREEN["width"]
    assert "1 / 1 + 1 manual" in attempts
    assert icon == "/static/hub/favicon.svg"
    assert not missing, missing
