"""Shared helpers of the admin browser tests: Chromium via Playwright, log in, measure, screenshot.

Skipped with the reason when Chromium or Playwright's driver is absent; nothing is downloaded.
Screenshots are written to docs/img/ only when HUB_SCREENSHOTS=1 (so CI never rewrites them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREEN = {"width": 1366, "height": 768}  # the smallest common laptop screen
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
USER, PASSWORD = "boss", "pw-boss-123"

# How far an element reaches past what is visible without scrolling sideways (0: it fits).
OVERFLOW = """el => {
  const box = el.getBoundingClientRect();
  const holder = el.parentElement;
  return Math.max(0, Math.ceil(box.right - window.innerWidth),
                  el.scrollWidth - el.clientWidth, holder.scrollWidth - holder.clientWidth,
                  document.documentElement.scrollWidth - window.innerWidth);
}"""


def chromium() -> str | None:
    """Debian's Chromium, or the path in HUB_TEST_CHROMIUM (to try another binary, or none)."""
    wanted = os.environ.get("HUB_TEST_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def browser_or_skip() -> tuple[Any, str]:
    """(sync_playwright, Chromium executable), or skip the test saying what is missing."""
    executable = chromium()
    if not executable:
        where = os.environ.get("HUB_TEST_CHROMIUM") or CHROMIUM
        pytest.skip(f"Chromium is not installed ({where}): apt-get install chromium")
    try:
        import playwright
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright python package is not installed")
    driver = Path(playwright.__file__).parent / "driver"
    if not driver.is_dir():
        pytest.skip(f"Playwright's driver is missing ({driver})")
    return sync_playwright, executable


def log_in(page: Any, base_url: str, next_url: str = "/admin/") -> None:
    page.goto(f"{base_url}/admin/login/?next={next_url}")
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def overflow(page: Any, selector: str) -> int:
    """Pixels of `selector` hidden to the right at the current viewport (0: nothing hidden)."""
    return page.eval_on_selector(selector, OVERFLOW)


def shot(page: Any, name: str, selector: str | None = None) -> None:
    """docs/img/<name>.png of the viewport (or one element), only when HUB_SCREENSHOTS=1."""
    if os.environ.get("HUB_SCREENSHOTS") != "1":
        return
    IMAGES.mkdir(parents=True, exist_ok=True)
    target = page.locator(selector).first if selector else page
    target.screenshot(path=str(IMAGES / f"{name}.png"))
