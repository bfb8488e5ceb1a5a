"""The rule form says what it wants: names as a list or comma separated; attempts in full."""

from __future__ import annotations

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
