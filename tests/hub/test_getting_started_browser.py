"""docs/getting-started.md, done in a real browser: Odoo change -> signed delivery, webhook -> Odoo.

Drives the admin of the live test server at 1,366 x 768 against the fake Odoo and the real
loopback receiver, exactly as the guide says. With HUB_SCREENSHOTS=1 it (re)writes the guide's
pictures in docs/img/ (CI leaves them alone).
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from standardwebhooks import Webhook

from delivery.models import WebhookLog
from hub.models import STANDARD_EVENTS
from inbound.models import IncomingWebhook
from rules.models import WebhookEvent
from tests.fakes.odoo import DB, HUB_LOGIN, HUB_PASSWORD, FakeOdoo, fake_odoo  # noqa: F401
from tests.fakes.receiver import Receiver, receiver  # noqa: F401
from tests.hub.browser import ARGS, PASSWORD, SCREEN, USER, browser_or_skip, log_in, shot
from tests.hub.test_contract_doc import verification_example

pytestmark = pytest.mark.browser

UPSERT_CONFIG = {
    "model": "res.partner",
    "match": {"field": "email", "path": "customer.email", "transform": "lower"},
    "mapping": {"name": "customer.name", "phone": "customer.phone"},
}


class Headers(dict):
    """Case-insensitive header lookup, as web frameworks' request.headers offer."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())


def run_action(page: Any, action: str) -> str:
    """Tick the first row of the changelist, run `action`, return the message shown."""
    page.locator("#result_list input.action-select").first.check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    return page.inner_text("ul.messagelist")


def add_connection(page: Any, base: str, odoo: FakeOdoo) -> str:
    page.goto(f"{base}/admin/hub/odooconnection/add/")
    page.fill("#id_name", "My Odoo")
    page.fill("#id_url", odoo.url)
    page.fill("#id_database", DB)
    page.fill("#id_username", HUB_LOGIN)
    page.fill("#id_password", HUB_PASSWORD)
    shot(page, "getting-started-1-connection")
    page.click("input[name=_save]")
    return run_action(page, "test_connection")


def add_hook(page: Any, base: str) -> str:
    page.goto(f"{base}/admin/hub/modelhook/add/")
    page.select_option("#id_connection", label="My Odoo")
    page.fill("#id_model", "res.partner")
    page.check("input[name=events][value=write]")
    page.fill("#id_tracked_fields", "email, name")
    shot(page, "getting-started-2-hook")
    page.click("input[name=_save]")
    return run_action(page, "poll_now")  # the first poll takes a baseline, sends nothing


def add_rule(page: Any, base: str, url: str) -> str:
    """Creates the rule; returns its signing secret (shown once)."""
    page.goto(f"{base}/admin/rules/webhookrule/add/")
    page.fill("#id_name", "Partners to CRM")
    page.fill("#id_model", "res.partner")
    page.select_option("#id_events_from", label="write")
    page.click("#id_events_add")
    page.fill("#id_url", url)
    for row, (path, key) in enumerate([("email", "email"), ("name", "customer")]):
        page.click("#payload_fields-group .add-row a")
        page.fill(f"#id_payload_fields-{row}-source_path", path)
        page.fill(f"#id_payload_fields-{row}-payload_key", key)
    page.locator("#payload_fields-group").scroll_into_view_if_needed()
    shot(page, "getting-started-3-rule")
    page.click("input[name=_save]")
    secret = page.inner_text("code.new-secret")
    shot(page, "getting-started-4-secret")
    page.click("a.button:has-text('Continue')")
    return secret


def add_source(page: Any, base: str) -> str:
    """Creates the inbound source; returns its secret (shown on its page)."""
    page.goto(f"{base}/admin/inbound/inboundsource/add/")
    page.fill("#id_name", "Shop customers")
    page.fill("#id_slug", "shop-customers")
    page.select_option("#id_verification", "standard")
    page.select_option("#id_handler", "odoo_upsert")
    page.fill("#id_handler_config", json.dumps(UPSERT_CONFIG, indent=2))
    page.select_option("#id_connection", label="My Odoo")
    page.click("input[name=_continue]")
    page.wait_for_selector(".field-current_secrets pre")
    shot(page, "getting-started-7-source")
    return page.inner_text(".field-current_secrets pre").split()[0]


def post_signed(url: str, secret: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What the shop would send: a Standard Webhooks request (signed by the reference library)."""
    body = json.dumps(payload).encode()
    msg_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(tz=UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return response.status, json.loads(response.read())


@pytest.mark.django_db(transaction=True)
def test_the_getting_started_guide_works_in_a_browser(
    live_server,
    fake_odoo: FakeOdoo,  # noqa: F811
    receiver: Receiver,  # noqa: F811
) -> None:
    sync_playwright, executable = browser_or_skip()
    # The ORM before Playwright starts (its event loop makes Django refuse ORM calls here).
    get_user_model().objects.create_superuser(USER, "boss@example.com", PASSWORD)
    for code in STANDARD_EVENTS:  # migrate creates them; an earlier transactional test may not
        WebhookEvent.objects.get_or_create(code=code, defaults={"name": code, "is_standard": True})
    partner = fake_odoo.create("res.partner", {"name": "Azure Interior", "email": "a@azure.test"})
    base = live_server.url

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport=SCREEN)
            page.set_default_timeout(30_000)
            log_in(page, base)
            tested = add_connection(page, base, fake_odoo)
            baseline = add_hook(page, base)
            secret = add_rule(page, base, receiver.url_for("/crm/partners"))

            # A change in Odoo; the next poll (scheduled every minute, or "Poll now") sends it.
            fake_odoo.tick(2)
            fake_odoo.write("res.partner", partner, {"email": "billing@azure.test"})
            page.goto(f"{base}/admin/hub/modelhook/")
            run_action(page, "poll_now")
            (delivered,) = receiver.wait_for(1)
            page.goto(f"{base}/admin/delivery/webhooklog/")
            shot(page, "getting-started-5-log")
            page.click("#result_list tbody tr th a")
            page.locator("fieldset:has(.field-request_headers_pretty)").scroll_into_view_if_needed()
            shot(page, "getting-started-6-log-detail")

            # Inbound: the shop tells the hub about a customer; the hub writes it into Odoo.
            source_secret = add_source(page, base)
            customer = {"email": "Ann@Example.com", "name": "Ann Lee", "phone": "+32 2 555 01"}
            status, answer = post_signed(
                f"{base}/webhook/incoming/shop-customers/",
                source_secret,
                {"type": "customer.updated", "customer": customer},
            )
            page.goto(f"{base}/admin/inbound/incomingwebhook/")
            shot(page, "getting-started-8-incoming")
        finally:
            browser.close()

    assert "version 17.0" in tested.lower() or "17.0" in tested, tested
    assert "Poll queued" in baseline
    # The delivery is signed with the rule's secret: the guide's own check accepts it.
    example = verification_example()
    headers = Headers({k.lower(): v for k, v in delivered.headers.items()})
    assert example["verify_webhook"](delivered.body, headers, secret)
    assert example["verify_hub_signature"](delivered.body, headers, secret)
    envelope = json.loads(delivered.body)
    assert (envelope["type"], envelope["record_id"]) == ("res.partner.write", partner)
    assert envelope["data"] == {"email": "billing@azure.test", "customer": "Azure Interior"}
    assert envelope["changes"]["email"] == {"before": "a@azure.test", "after": "billing@azure.test"}
    assert WebhookLog.objects.get().status == "success"
    # The inbound webhook was accepted and written into Odoo.
    assert (status, answer["status"]) == (202, "accepted")
    row = IncomingWebhook.objects.get()
    assert (row.state, row.result["action"]) == ("done", "created"), row.error
    record = fake_odoo.record("res.partner", row.result["id"])
    assert (record["name"], record["email"], record["phone"]) == (
        "Ann Lee",
        "ann@example.com",
        "+32 2 555 01",
    )
