"""A real browser (Debian's headless Chromium driven by Playwright) renders the dashboard.

Skipped with the reason when /usr/bin/chromium or Playwright's driver is absent (.ci/run installs
Chromium, so CI runs it). Nothing here downloads a browser.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dashboard.rollups import rollup_days
from delivery.models import BreakerState, Lane
from tests.dashboard.conftest import at
from tests.hub.browser import ARGS, browser_or_skip

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Response

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

SHOWN = (
    "total_sent", "success_count", "failed_count", "pending_count", "retry_queue",
    "dead_letter", "success_rate", "avg_duration_ms",
)  # fmt: skip

pytestmark = pytest.mark.browser


def seed(make_rule, make_log, make_retry, make_incoming) -> None:
    erp = make_rule("Orders to ERP")
    crm = make_rule("Partners to CRM", model="res.partner")
    wms = make_rule("Pickings to WMS", model="stock.picking")
    for days_ago in range(14):
        for n in range(6 + days_ago % 4):
            make_log("success", rule=erp, created_at=at(days_ago, n), duration_ms=80 + 17 * n)
        make_log("success", rule=crm, event_code="create", created_at=at(days_ago, 2))
        make_log("failed", rule=crm, created_at=at(days_ago, 3), duration_ms=15000,
                 response_status=None, error="timeout after 15 s")  # fmt: skip
        if days_ago % 3 == 0:
            make_log("failed", rule=wms, event_code="unlink", created_at=at(days_ago, 4),
                     duration_ms=230, error="HTTP 503")  # fmt: skip
        make_log("success", rule=wms, created_at=at(days_ago, 5), duration_ms=310)
    make_log("pending", rule=erp)
    make_log("test", rule=crm)
    make_retry("pending", rule=crm)
    make_retry("exhausted", rule=wms)
    for days_ago in range(14):
        make_incoming("done", received_at=at(days_ago, 1))
    make_incoming("rejected", received_at=at(2, 1), verification_status="failed")
    make_incoming("failed", received_at=at(1, 1))
    rollup_days(days=14)  # closed days from the rollups, today live
    # Two lanes an operator must see: a paused one and one whose breaker is open.
    soon = timezone.now() + timedelta(minutes=5)
    Lane.objects.create(rule=wms, paused=True, paused_at=at(0, 1))
    Lane.objects.create(
        rule=crm, breaker_state=BreakerState.OPEN, open_until=soon, breaker_failures=10,
        last_error="Connection refused\nraw detail",
    )  # fmt: skip


def test_without_chromium_the_browser_test_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setenv("HUB_TEST_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pytest.skip.Exception, match=r"Chromium is not installed \(/nonexistent"):
        browser_or_skip()


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_shows_the_numbers_of_the_json_in_a_real_browser(
    live_server, make_rule, make_log, make_retry, make_incoming
):
    sync_playwright, executable = browser_or_skip()
    # Every ORM call of this test runs before Playwright starts: its sync API runs an asyncio
    # loop in this thread, and Django's async-safety guard would refuse ORM calls made inside
    # it (SynchronousOnlyOperation). So DJANGO_ALLOW_ASYNC_UNSAFE is not needed, and not set.
    seed(make_rule, make_log, make_retry, make_incoming)
    get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    ARTIFACTS.mkdir(exist_ok=True)
    hosts: set[str] = set()
    console_errors: list[str] = []
    bad_responses: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))

            def on_console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    console_errors.append(message.text)

            def on_response(response: Response) -> None:
                # /favicon.ico: the browser's own guess, not ours
                if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                    bad_responses.append(f"{response.status} {response.url}")

            page.on("console", on_console)
            page.on("response", on_response)
            page.set_default_timeout(15_000)

            page.goto(f"{live_server.url}/admin/login/?next=/webhook/dashboard/%3Fdays%3D14")
            page.fill("#id_username", "boss")
            page.fill("#id_password", "pw-boss-123")
            page.click("input[type=submit]")
            page.wait_for_selector("#hub-dashboard[data-rendered='true']")

            # The admin index links to the dashboard.
            page.goto(f"{live_server.url}/admin/")
            page.screenshot(path=str(ARTIFACTS / "admin_index.png"))
            page.click("#hub-dashboard-link th a")
            page.wait_for_selector("#hub-dashboard[data-rendered='true']")
            page.select_option("#filter-days", "14")
            page.wait_for_selector("#hub-dashboard[data-rendered='true'][data-query='days=14']")

            data = page.evaluate(
                "async () => (await fetch('/webhook/dashboard/data?days=14')).json()"
            )
            shown = page.eval_on_selector_all(
                "[data-metric]", "els => Object.fromEntries(els.map(e => [e.id, e.dataset.value]))"
            )
            for key in SHOWN:
                assert float(shown[f"summary-{key}"]) == data["summary"][key], key
            assert int(shown["inbound-total"]) == data["inbound"]["total"] == 16
            assert page.inner_text("#summary-total_sent") == f"{data['summary']['total_sent']:,}"

            drawn = page.evaluate(
                """() => Object.fromEntries(['chart-daily', 'chart-rate', 'chart-models',
                     'chart-events', 'chart-inbound'].map(id => {
                     const c = Chart.getChart(id);
                     return [id, {data: c.data.datasets.map(d => d.data), w: c.width}];
                   }))"""
            )
            daily = data["daily_traffic"]
            assert drawn["chart-daily"]["data"] == [
                [d["success"] for d in daily],
                [d["failed"] for d in daily],
            ]
            assert drawn["chart-models"]["data"][1] == [
                m["failed"] for m in data["events_per_model"]
            ]
            assert drawn["chart-events"]["data"] == [[e["total"] for e in data["event_types"]]]
            assert all(chart["w"] > 100 for chart in drawn.values())
            # Charts are really painted: the canvas holds non-transparent pixels.
            painted = page.evaluate(
                """() => { const c = document.getElementById('chart-daily');
                   const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) n++; return n; }"""
            )
            assert painted > 1000

            rows = page.eval_on_selector_all(
                "#table-endpoints tbody tr",
                "trs => trs.map(tr => [tr.dataset.url,"
                " +tr.querySelector('[data-field=total]').dataset.value])",
            )
            assert rows == [[e["url"], e["total"]] for e in data["top_endpoints"]]
            error_ids = page.eval_on_selector_all(
                "#table-errors tbody tr", "trs => trs.map(tr => +tr.dataset.logId)"
            )
            assert error_ids == [e["id"] for e in data["recent_errors"]]
            lanes = page.eval_on_selector_all(
                "#table-lanes tbody tr",
                "trs => trs.map(tr => [+tr.dataset.rule, tr.dataset.state,"
                " tr.querySelector('.err').textContent, tr.querySelector('a').href])",
            )
            assert [lane[:3] for lane in lanes] == [
                [lane["rule"], "paused" if lane["paused"] else lane["breaker_state"],
                 lane["last_error"] or "\u2013"]
                for lane in data["lanes"]
            ]  # fmt: skip
            assert sorted(state for _, state, _, _ in lanes) == ["open", "paused"]
            assert "Connection refused" in [err for _, _, err, _ in lanes]
            assert all("/admin/delivery/lane/?rule__id__exact=" in href for *_, href in lanes)
            dead_href = page.get_attribute("#link-dead_letter", "href")
            assert "state__exact=exhausted" in dead_href

            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # A filter re-renders with the filtered numbers.
            page.select_option("#filter-rule", label="Partners to CRM (res.partner)")
            page.wait_for_selector("#hub-dashboard[data-rendered='true'][data-query*='rule=']")
            rule_id = page.input_value("#filter-rule")
            url = f"/webhook/dashboard/data?days=14&rule={rule_id}"
            filtered = page.evaluate(f"async () => (await fetch('{url}')).json()")
            assert filtered["summary"]["failed_count"] == 14
            assert page.get_attribute("#summary-failed_count", "data-value") == "14"
        finally:
            browser.close()

    assert hosts <= {"localhost", "127.0.0.1"}, f"the page fetched from elsewhere: {hosts}"
    assert not bad_responses, bad_responses
    assert not [e for e in console_errors if not e.startswith("Failed to load resource")]
