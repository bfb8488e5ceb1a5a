"""Shared fixtures."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def admin_user_obj(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-123")


@pytest.fixture
def api(admin_user_obj) -> APIClient:
    """An API client authenticated with a superuser's token."""
    token, _ = Token.objects.get_or_create(user=admin_user_obj)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
