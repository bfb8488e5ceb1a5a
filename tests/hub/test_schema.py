"""The OpenAPI schema: generated without warnings, valid, and documenting the dashboard JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework import serializers

from dashboard.schema import DashboardDataSerializer

pytestmark = pytest.mark.django_db


def test_the_schema_validates_with_warnings_as_errors(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert "/webhook/dashboard/data" in schema["paths"]


def test_the_dashboard_schema_names_every_key_of_the_real_json(api) -> None:
    data = api.get("/webhook/dashboard/data", {"days": 2}).json()
    described = DashboardDataSerializer().fields
    assert set(data) == set(described)
    for key in ("summary", "inbound", "range"):
        assert set(data[key]) == set(_nested(described[key]).fields), key
    daily = _nested(described["inbound"]).fields["daily"]
    assert isinstance(daily, serializers.ListSerializer)
    assert set(data["inbound"]["daily"][0]) == set(_nested(daily.child).fields)


def _nested(field: serializers.Field) -> serializers.Serializer:
    assert isinstance(field, serializers.Serializer), field
    return field


def test_a_browser_sees_the_schema_as_text_instead_of_a_download(client, admin_user_obj) -> None:
    client.force_login(admin_user_obj)
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/api/schema/", HTTP_ACCEPT=browser)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment" not in response.get("Content-Disposition", "")
    assert response.content.startswith(b"openapi: 3")


def test_api_clients_still_get_the_openapi_media_types(client, admin_user_obj) -> None:
    client.force_login(admin_user_obj)
    yaml_response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert yaml_response["Content-Type"].startswith("application/vnd.oai.openapi")
    json_response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert json_response.json()["openapi"].startswith("3")
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    as_json = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT=browser)
    assert as_json.json()["openapi"].startswith("3")
