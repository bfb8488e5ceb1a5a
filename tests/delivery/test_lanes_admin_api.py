"""Lanes in the API and the admin: limits are editable, state is read-only, actions work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from delivery.models import BreakerState, Lane, WebhookLog
from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver

pytestmark = pytest.mark.django_db


def test_every_rule_has_a_lane_in_the_api_with_its_defaults(api: APIClient) -> None:
    rule = make_rule(url="http://127.0.0.1:9/hook")
    (lane,) = api.get("/api/lanes/").json()["results"]
    assert lane["rule"] == rule.pk
    assert (lane["max_in_flight"], lane["breaker_state"], lane["paused"]) == (10, "closed", False)


def test_lane_limits_are_editable_and_its_state_is_not(api: APIClient) -> None:
    rule = make_rule(url="http://127.0.0.1:9/hook")
    answer = api.patch(
        f"/api/lanes/{rule.pk}/",
        {"max_in_flight": 3, "rate_limit": 5, "breaker_state": "open", "on_gone": "pause"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    lane = Lane.objects.get(rule=rule)
    assert (lane.max_in_flight, lane.rate_limit, lane.on_gone) == (3, 5.0, "pause")
    assert lane.breaker_state == BreakerState.CLOSED


def test_pause_and_resume_through_the_api_hold_and_then_send(
    api: APIClient, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for())
    paused = api.post(f"/api/lanes/{rule.pk}/pause/").json()
    assert paused["paused"] and paused["paused_at"]
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    assert receiver.requests == []
    assert api.get(f"/api/lanes/{rule.pk}/").json()["held"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        resumed = api.post(f"/api/lanes/{rule.pk}/resume/").json()
    assert not resumed["paused"]
    assert len(receiver.wait_for(1)) == 1


def test_an_open_breaker_shows_in_the_api_and_can_be_closed_by_hand(
    api: APIClient, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(url=receiver.url_for())
    later = timezone.now() + timedelta(minutes=5)
    Lane.objects.create(
        rule=rule, breaker_state=BreakerState.OPEN, open_until=later, last_error="HTTP 503"
    )
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    shown = api.get(f"/api/lanes/{rule.pk}/").json()
    assert (shown["breaker_state"], shown["last_error"], shown["held"]) == ("open", "HTTP 503", 1)
    with django_capture_on_commit_callbacks(execute=True):
        closed = api.post(f"/api/lanes/{rule.pk}/close-breaker/").json()
    assert closed["breaker_state"] == "closed"
    assert len(receiver.wait_for(1)) == 1


def test_the_lane_admin_lists_lanes_and_its_actions_work(
    admin_user_obj, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(admin_user_obj)
    rule = make_rule(url=receiver.url_for())
    page = client.get("/admin/delivery/lane/")
    assert page.status_code == 200 and rule.name in page.content.decode()
    client.post("/admin/delivery/lane/", {"action": "pause", "_selected_action": [rule.pk]})
    assert Lane.objects.get(rule=rule).paused
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    assert WebhookLog.objects.get().status == "pending"
    assert client.get(f"/admin/delivery/lane/{rule.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/delivery/lane/", {"action": "resume", "_selected_action": [rule.pk]})
    assert len(receiver.wait_for(1)) == 1


def test_the_dashboard_data_lists_lanes_that_need_attention(
    admin_user_obj, receiver: Receiver, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(admin_user_obj)
    calm, stuck = make_rule(url=receiver.url_for()), make_rule(url=receiver.url_for())
    later = timezone.now() + timedelta(minutes=5)
    Lane.objects.create(rule=calm)
    Lane.objects.create(rule=stuck, breaker_state=BreakerState.OPEN, open_until=later)
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    (lane,) = client.get("/webhook/dashboard/data").json()["lanes"]
    assert (lane["rule"], lane["breaker_state"], lane["held"]) == (stuck.pk, "open", 1)
