"""The per-record trace explains a delivered, a filtered and an echo-suppressed change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboard.trace import TraceQuery, trace_record
from hub.models import ModelHook
from hub.odoo import services
from hub.odoo.client import OdooClient
from tests.factories import emit, make_rule
from tests.fakes.odoo import ADMIN_UID, fake_odoo, odoo_conn  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def traced(odoo_conn, fake_odoo, receiver, django_capture_on_commit_callbacks):  # noqa: F811
    """A partner changed by a person (delivered to one rule, filtered by the others), then
    rewritten by the hub itself (suppressed)."""
    fake_odoo.freeze("2026-01-05 10:00:00")
    rid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", tracked_fields=["name", "email"]
    )
    for rule_fields in (
        dict(name="CRM", url=receiver.url_for("/crm"), trigger_fields=["email"]),
        dict(name="VIP", url=receiver.url_for("/vip"), condition="[('name','=','VIP')]"),
        dict(name="Names", url=receiver.url_for("/n"), trigger_fields=["name"]),
        dict(name="Creates", url=receiver.url_for("/c"), events=("create",)),
        dict(name="Off", url=receiver.url_for("/off"), active=False),
    ):
        make_rule(**rule_fields)
    services.poll_connection(connection_id=odoo_conn.pk)  # baseline
    fake_odoo.tick(1)
    fake_odoo.write("res.partner", rid, {"email": "b@example.com"}, uid=ADMIN_UID)
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_connection(connection_id=odoo_conn.pk)
    fake_odoo.tick(1)
    with OdooClient.for_connection(odoo_conn) as client:
        client.write("res.partner", [rid], {"name": "Azure (synced)"})
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_connection(connection_id=odoo_conn.pk)
    return rid, odoo_conn


def reasons(event: dict) -> dict[str, str]:
    return {r["rule_name"]: r["reason"] for r in event["rules"]}


def test_the_trace_explains_a_delivered_a_filtered_and_a_suppressed_change(traced):
    rid, conn = traced
    trace = trace_record(TraceQuery("res.partner", rid, connection_id=conn.pk))
    kinds = [item["kind"] for item in trace["timeline"]]
    assert kinds == ["event", "echo_suppressed"]
    event, echo = trace["timeline"]
    assert (event["event_code"], event["seen_by"], sorted(event["changes"])) == (
        "write",
        "fake",
        ["email"],
    )
    assert reasons(event) == {
        "CRM": "matched",
        "Creates": "event code 'write' not watched by the rule",
        "Names": "no trigger field changed (name)",
        "Off": "rule inactive",
        "VIP": "condition false",
    }
    [delivery] = event["deliveries"]
    assert (delivery["rule_name"], delivery["outcome"]) == ("CRM", "success")
    assert [a["response_status"] for a in delivery["attempts"]] == [200]
    assert echo["written"] == {"name": "Azure (synced)"}
    assert echo["reason"].startswith("echo suppressed")


def test_the_api_answers_the_trace_and_refuses_bad_input(traced, api):
    rid, conn = traced
    body = api.get(
        "/api/trace/", {"model": "res.partner", "record_id": rid, "connection": conn.pk}
    ).json()
    assert [item["kind"] for item in body["timeline"]] == ["event", "echo_suppressed"]
    assert body["timeline"][0]["deliveries"][0]["outcome"] == "success"
    bad = api.get("/api/trace/", {"model": "res.partner", "record_id": "x"})
    assert bad.status_code == 400 and "whole numbers" in bad.json()["detail"]


def test_the_trace_needs_an_authenticated_user_with_view_permissions(client, db):
    response = client.get("/api/trace/", {"model": "res.partner", "record_id": 1})
    assert response.status_code in (401, 403)


def test_the_trace_page_shows_the_timeline(traced, admin_client):
    rid, _ = traced
    page = admin_client.get(
        reverse("dashboard:trace"), {"model": "res.partner", "record_id": rid}
    ).content.decode()
    assert 'id="trace-timeline"' in page
    assert "condition false" in page and "echo suppressed" in page and "success" in page


def test_the_trace_of_an_api_event_by_source_costs_a_fixed_number_of_queries(
    db, django_assert_max_num_queries
):
    make_rule(name="Any", url="http://127.0.0.1:9/none")
    for n in range(30):
        emit(record_id=7, source="api", data={"id": 7, "name": f"v{n}"})
    with django_assert_max_num_queries(8):
        trace = trace_record(TraceQuery("res.partner", 7, source="api", limit=20))
    assert len(trace["timeline"]) == 20 and trace["truncated"]


def test_each_event_in_the_admin_links_to_its_records_trace(traced, admin_client):
    from hub.models import EventHistory

    rid, _ = traced
    event = EventHistory.objects.get(record_id=rid)
    page = admin_client.get(reverse("admin:hub_eventhistory_change", args=[event.pk]))
    expected = f"{reverse('dashboard:trace')}?model=res.partner&amp;record_id={rid}"
    assert expected in page.content.decode()
