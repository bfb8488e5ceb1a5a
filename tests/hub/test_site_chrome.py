"""The admin's chrome: "View site" opens the dashboard, and every page names an icon that exists."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_view_site_leads_to_the_dashboard(admin_client):
    page = admin_client.get("/admin/").content.decode()
    link = re.search(r'<a href="([^"]+)">View site</a>', page)
    assert link and link.group(1) == "/webhook/dashboard/"
    assert admin_client.get(link.group(1)).status_code == 200


@pytest.mark.parametrize("url", ["/admin/", "/admin/rules/webhookrule/add/", "/webhook/dashboard/"])
def test_admin_pages_and_the_dashboard_name_the_hub_icon(admin_client, url):
    page = admin_client.get(url).content.decode()
    icon = re.search(r'<link rel="icon" type="image/svg\+xml" href="/static/([^"]+)">', page)
    assert icon, "no icon link"
    assert finders.find(icon.group(1))


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert finders.find(response["Location"].removeprefix("/static/"))
