"""GET /webhook/dashboard/: staff only, admin look, charts served locally, linked from admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

PAGE = "/webhook/dashboard/"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={PAGE}"


@pytest.mark.django_db
def test_non_staff_users_are_sent_to_the_admin_login(client, plain_user):
    client.force_login(plain_user)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_staff_see_the_page_in_the_admin_layout(staff_client, make_rule):
    make_rule("Orders to ERP")
    html = staff_client.get(PAGE).content.decode()
    assert 'id="hub-dashboard"' in html
    assert 'data-url="/webhook/dashboard/data"' in html
    assert "/static/admin/css/base.css" in html  # the admin's look
    assert "/static/dashboard/vendor/chart.umd.min.js" in html
    assert "Orders to ERP (sale.order)" in html  # the rule filter
    for chart in ("chart-daily", "chart-rate", "chart-models", "chart-events"):
        assert f'id="{chart}"' in html
    for metric in ("total_sent", "success_rate", "avg_duration_ms", "retry_queue", "dead_letter"):
        assert f'id="summary-{metric}"' in html
    assert "cdn" not in html.lower()


def test_the_chart_library_is_served_by_the_project_with_its_license():
    bundle = finders.find("dashboard/vendor/chart.umd.min.js")
    assert bundle, "the vendored Chart.js bundle is missing"
    assert Path(bundle).read_text()[:60].count("Chart.js v4.")
    assert finders.find("dashboard/vendor/chart.js.LICENSE.md")
    assert finders.find("dashboard/vendor/chart.umd.min.js.map")  # referenced by the bundle
    assert finders.find("dashboard/dashboard.js") and finders.find("dashboard/dashboard.css")


@pytest.mark.django_db
def test_the_admin_index_links_to_the_dashboard(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert f'href="{PAGE}"' in html
    assert 'id="hub-dashboard-link"' in html
    assert "app-auth" in html  # the app list is still there


@pytest.mark.django_db
def test_the_filtered_admin_lists_the_page_links_to_accept_their_filters(
    staff_client, make_rule, make_log, make_retry
):
    rule = make_rule()
    make_retry("retrying", rule=rule, delivery_id="msg_queued")
    make_retry("exhausted", rule=rule, delivery_id="msg_dead")
    make_log("failed", rule=rule)
    retries = reverse("admin:delivery_webhookretry_changelist")
    logs = reverse("admin:delivery_webhooklog_changelist")

    queue = staff_client.get(f"{retries}?state__in=pending,retrying&rule__id__exact={rule.pk}")
    dead = staff_client.get(f"{retries}?state__exact=exhausted")
    failed = staff_client.get(f"{logs}?url__exact={rule.url}&status__exact=failed")

    assert queue.status_code == dead.status_code == failed.status_code == 200
    assert "msg_queued" in queue.content.decode() and "msg_dead" not in queue.content.decode()
    assert "msg_dead" in dead.content.decode()
    assert failed.context["cl"].result_count == 1
