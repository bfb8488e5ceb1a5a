"""Custom headers are limited in count and size, with a clear error in the API and the admin."""

from __future__ import annotations

import pytest

from tests.rules.test_admin import ADD, form_data
from tests.rules.test_api_rules import rule_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({f"X-H{i}": "v" for i in range(51)}, "51 custom headers: at most 50 are allowed."),
        ({"X-Big": "a" * 200_000}, "The value of header 'X-Big' is 200,000 bytes: at most 8,192"),
        ({"X-" + "n" * 300: "v"}, "characters long: at most 256 are allowed."),
        ({f"X-H{i}": "a" * 8000 for i in range(5)}, "add up to 40,020 bytes: at most 32,768"),
    ],
)
def test_the_api_refuses_oversized_custom_headers(api, headers, message):
    response = api.post("/api/rules/", rule_body(headers=headers), format="json")
    assert response.status_code == 400
    assert message in str(response.json()["headers"])


def test_fifty_headers_of_a_reasonable_size_are_accepted(api):
    headers = {f"X-H{i}": "v" * 100 for i in range(50)}
    response = api.post("/api/rules/", rule_body(headers=headers), format="json")
    assert response.status_code == 201, response.json()


def test_the_admin_shows_the_limit_at_the_headers_field(admin_client):
    response = admin_client.post(ADD, form_data(headers='{"X-Big": "%s"}' % ("a" * 9000)))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "at most 8,192 (8 KiB) are allowed" in errors["headers"][0]
