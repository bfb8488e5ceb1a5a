"""The rule form says what it wants: names as a list or comma separated; attempts in full."""

from __future__ import annotations

import re

import pytest

from rules.models import WebhookRule
from tests.rules.test_admin import ADD, change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["state, amount_total", '["state", "amount_total"]'])
def test_trigger_fields_take_comma_separated_names_or_a_json_list(admin_client, typed):
    response = admin_client.post(ADD, form_data(trigger_fields=typed))
    assert response.status_code in (200, 302)
    rule = WebhookRule.objects.get()
    assert rule.trigger_fields == ["state", "amount_total"]
    page = admin_client.get(change_url(rule)).content.decode()
    assert 'value="state, amount_total"' in page


def test_the_rule_form_calls_max_retries_max_attempts_and_says_it_counts_the_first(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert '<label class="required" for="id_max_retries">Max attempts:</label>' in page
    assert "Total attempts, the first one included" in page
    assert "comma separated" in page  # the trigger fields' help


def test_send_test_now_shows_status_a_few_headers_and_the_body_prefix(admin_client, receiver):
    from django.contrib.messages import get_messages

    from tests.fakes.receiver import Reply
    from tests.rules.test_admin import CHANGELIST, make_rule

    receiver.script(
        Reply(422, headers={"Content-Type": "application/json", "X-Request-Id": "req-7"},
              body='{"error": "unknown customer", "detail": "' + "x" * 400 + '"}')
    )  # fmt: skip
    rule = make_rule(url=receiver.url_for("/hook"))
    response = admin_client.post(
        CHANGELIST, {"action": "send_test_now", "_selected_action": [rule.pk]}, follow=True
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert re.match(r"Orders: failed HTTP 422 in \d+ ms; Content-Type: application/json", message)
    assert "Content-Type: application/json" in message and "X-Request-Id: req-7" in message
    assert 'body: {"error": "unknown customer", "detail": "xxx' in message
    assert message.endswith("x…")  # the first 200 characters, not the whole body


def test_send_test_now_shows_a_transport_failure_in_one_line(admin_client):
    import socket

    from django.contrib.messages import get_messages

    from tests.rules.test_admin import CHANGELIST, make_rule

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rule = make_rule(url=f"http://127.0.0.1:{port}/hook")
    response = admin_client.post(
        CHANGELIST, {"action": "send_test_now", "_selected_action": [rule.pk]}, follow=True
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert re.fullmatch(
        rf"Orders: failed in \d+ ms - connection refused by 127.0.0.1:{port}", message
    )


def test_malformed_headers_json_says_what_is_wanted(admin_client):
    response = admin_client.post(ADD, form_data(headers="X-Tenant: acme"))
    errors = response.context["adminform"].form.errors
    assert errors["headers"] == [
        'Enter a JSON object of header names and values, e.g. {"X-Tenant": "acme"}.'
    ]
