"""The nudge URL: Odoo's "Send Webhook Notification" makes the hub read one record at once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hub.models import EventHistory, ModelHook, OdooConnection
from hub.odoo import services
from hub.odoo.nudge import nudge_token, nudge_url
from tests.fakes.odoo import HUB_API_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(odoo_conn, fake_odoo) -> ModelHook:
    hook = ModelHook.objects.create(
        connection=odoo_conn, model="res.partner", tracked_fields=["name", "email"]
    )
    return hook


def odoo_body(model: str, rid: object, **fields: object) -> dict:
    """What Odoo's server action "Send Webhook Notification" posts."""
    return {"_action": "Notify the hub(#7)", "_id": rid, "_model": model, **fields}


def post(client, conn, body, *, token: str | None = None):
    path = f"/odoo/nudge/{token if token is not None else nudge_token(conn)}/"
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json")


def test_a_nudge_leads_to_one_event_read_from_odoo_not_from_the_body(
    client, odoo_conn, fake_odoo, hook
):
    pid = fake_odoo.create("res.partner", {"name": "Azure", "email": "a@example.com"})
    services.poll_connection(connection_id=odoo_conn.pk)  # baseline
    fake_odoo.tick(2)
    fake_odoo.write("res.partner", pid, {"email": "b@example.com"})

    answer = post(client, odoo_conn, odoo_body("res.partner", pid, email="forged@example.com"))

    assert answer.status_code == 200 and answer.json()["status"] == "read"
    event = EventHistory.objects.get()
    assert answer.json()["events"] == [str(event.event_id)]
    assert event.event_code == "write" and event.data["email"] == "b@example.com"
    assert event.changes == {"email": {"before": "a@example.com", "after": "b@example.com"}}
    services.poll_connection(connection_id=odoo_conn.pk)
    assert EventHistory.objects.count() == 1, "the next poll does not emit it again"


def test_a_nudge_for_a_model_no_hook_watches_is_a_404_and_records_nothing(
    client, odoo_conn, fake_odoo, hook
):
    answer = post(client, odoo_conn, odoo_body("sale.order", 1))
    assert answer.status_code == 404 and "sale.order" in answer.json()["error"]
    assert EventHistory.objects.count() == 0


def test_a_nudge_for_an_unknown_record_is_a_404_and_records_nothing(
    client, odoo_conn, fake_odoo, hook
):
    fake_odoo.create("res.partner", {"name": "Azure"})
    services.poll_connection(connection_id=odoo_conn.pk)
    answer = post(client, odoo_conn, odoo_body("res.partner", 999))
    assert answer.status_code == 404 and "not found" in answer.json()["error"]
    assert EventHistory.objects.count() == 0


@pytest.mark.parametrize(
    "token", ["", "x", "1-", "-abc", "999999-" + "0" * 40, "1-" + "0" * 40, "1" * 40, "é-ü"]
)
def test_a_bad_token_is_a_404_never_a_500(client, odoo_conn, fake_odoo, hook, token):
    if not token:
        answer = client.post("/odoo/nudge//", data="{}", content_type="application/json")
    else:
        answer = post(client, odoo_conn, odoo_body("res.partner", 1), token=token)
    assert answer.status_code == 404
    assert EventHistory.objects.count() == 0


def test_a_new_push_token_revokes_the_nudge_url(client, odoo_conn, fake_odoo, hook):
    from hub.odoo.state import issue_push_token

    old = nudge_token(odoo_conn)
    issue_push_token(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    assert nudge_token(odoo_conn) != old
    assert post(client, odoo_conn, odoo_body("res.partner", 1), token=old).status_code == 404
    assert nudge_url(odoo_conn).endswith(f"/odoo/nudge/{nudge_token(odoo_conn)}/")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        ({"_model": "res.partner"}, 400),
        ({"_model": "res.partner", "_id": "7"}, 400),
        ({"_model": "res.partner", "_id": True}, 400),
        ({"_model": "res.partner", "_id": -1}, 400),
        ({"_model": 5, "_id": 1}, 400),
        (b'{"_model": "res.partner", "_id": 1, "pad": "' + b"x" * 70000 + b'"}', 413),
    ],
)
def test_a_malformed_nudge_is_a_clear_4xx(client, odoo_conn, fake_odoo, hook, body, status):
    answer = post(client, odoo_conn, body)
    assert answer.status_code == status and answer.json()["error"]
    assert EventHistory.objects.count() == 0


def test_a_nudge_only_accepts_post(client, odoo_conn, fake_odoo, hook):
    assert client.get(f"/odoo/nudge/{nudge_token(odoo_conn)}/").status_code == 405


def test_a_nudge_sent_before_odoo_commits_brings_the_next_poll_forward(
    client, odoo_conn, fake_odoo, hook
):
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    services.poll_connection(connection_id=odoo_conn.pk)
    odoo_conn.refresh_from_db()
    planned = odoo_conn.next_poll_at
    fake_odoo.tick(2)
    change = fake_odoo.begin()  # Odoo calls the webhook from inside the transaction
    change.write("res.partner", [pid], {"name": "Azure 2"})

    answer = post(client, odoo_conn, odoo_body("res.partner", pid))

    assert answer.status_code == 200 and answer.json()["events"] == []
    odoo_conn.refresh_from_db()
    assert odoo_conn.next_poll_at < planned, "polled again shortly"
    change.commit()
    assert services.claim_due_connections(now=timezone.now() + timedelta(seconds=1))
    services.poll_connection(connection_id=odoo_conn.pk)
    assert list(EventHistory.objects.values_list("event_code", "record_id")) == [("write", pid)]


def test_a_nudge_while_odoo_is_down_is_a_503_and_records_nothing(
    client, odoo_conn, fake_odoo, hook
):
    pid = fake_odoo.create("res.partner", {"name": "Azure"})
    services.poll_connection(connection_id=odoo_conn.pk)
    fake_odoo.set_down("500")
    answer = post(client, odoo_conn, odoo_body("res.partner", pid))
    assert answer.status_code == 503 and answer.json()["error"].startswith("Odoo unavailable")
    assert EventHistory.objects.count() == 0


def test_an_inactive_connection_has_no_nudge_url_that_works(client, odoo_conn, fake_odoo, hook):
    OdooConnection.objects.filter(pk=odoo_conn.pk).update(active=False)
    assert post(client, odoo_conn, odoo_body("res.partner", 1)).status_code == 404


def test_the_api_shows_the_nudge_url_that_works(api, fake_odoo):
    created = api.post(
        "/api/connections/",
        {
            "name": "odoo",
            "url": fake_odoo.url,
            "database": "odoo_test",
            "username": "hub",
            "password": "hub-pass",
            "api_key": HUB_API_KEY,
        },
        format="json",
    )
    assert created.status_code == 201
    shown = api.get(f"/api/connections/{created.json()['id']}/").json()["nudge_url"]
    assert shown == created.json()["nudge_url"]
    assert shown.startswith("http") and "/odoo/nudge/" in shown
    conn = OdooConnection.objects.get(pk=created.json()["id"])
    assert shown.endswith(f"/odoo/nudge/{nudge_token(conn)}/")
    changed = api.patch(f"/api/connections/{conn.pk}/", {"nudge_url": "x"}, format="json")
    assert changed.json()["nudge_url"] == shown, "read-only"


def test_the_admin_shows_the_nudge_url_on_the_connection(admin_client, odoo_conn, fake_odoo):
    page = admin_client.get(f"/admin/hub/odooconnection/{odoo_conn.pk}/change/")
    assert page.status_code == 200
    assert nudge_url(odoo_conn) in page.content.decode()
