"""API token authentication (hub.api.authentication): DRF's answers, with the prepared lookup."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hub.api.authentication import TokenAuthentication

pytestmark = pytest.mark.django_db


def token_for(username: str, **fields: Any) -> Token:
    user = get_user_model().objects.create_user(
        username, is_staff=True, is_superuser=True, **fields
    )
    return Token.objects.create(user=user)


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_valid_token_authenticates_its_user_in_one_query(django_assert_num_queries: Any) -> None:
    token = token_for("alice")
    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate_credentials(token.key)
    assert (user.pk, user.username, user.is_staff) == (token.user.pk, "alice", True)
    assert (auth.key, auth.user) == (token.key, user)
    assert auth.created == token.created  # the deferred column still loads


def test_an_unknown_token_is_a_401_with_drfs_message() -> None:
    token_for("alice")
    response = client_with("0" * 40).get("/api/rules/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_the_token_of_an_inactive_user_is_a_401() -> None:
    token = token_for("bob", is_active=False)
    response = client_with(token.key).get("/api/rules/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_a_deleted_token_stops_working_at_once() -> None:
    token = token_for("carol")
    client = client_with(token.key)
    assert client.get("/api/rules/").status_code == 200
    token.delete()
    assert client.get("/api/rules/").status_code == 401


def test_a_quote_in_the_key_is_only_a_wrong_key() -> None:
    token_for("dave")
    assert client_with("x' OR '1'='1").get("/api/rules/").status_code == 401
