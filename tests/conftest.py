"""Shared fixtures."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import token_client


@pytest.fixture
def admin_user_obj(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin-123")


@pytest.fixture
def api(admin_user_obj) -> APIClient:
    """An API client authenticated with a superuser's token."""
    return token_client(admin_user_obj)
