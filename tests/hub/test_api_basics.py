"""API plumbing: authentication, the OpenAPI schema and the offline docs page."""

from __future__ import annotations

import pytest
import yaml
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

ENDPOINTS = [
    "/api/connections/",
    "/api/hooks/",
    "/api/events/",
    "/api/rules/",
    "/api/logs/",
    "/api/retries/",
    "/api/history/",
    "/api/sources/",
    "/api/incoming/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_the_api_answers_401_without_a_token(url):
    response = APIClient().get(url)
    assert response.status_code == 401


@pytest.mark.parametrize("url", ENDPOINTS)
def test_the_api_lists_every_entity_with_a_token(api, url):
    response = api.get(url)
    assert response.status_code == 200
    assert "results" in response.json()


@pytest.mark.django_db
def test_a_user_without_model_permissions_is_forbidden():
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("viewer", password="pw-viewer-123")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.get("/api/rules/").status_code == 403


def test_the_schema_is_a_valid_openapi_document(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert "/api/rules/" in schema["paths"]


def test_the_docs_page_loads_its_assets_from_the_project_not_a_cdn(admin_client):
    response = admin_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
