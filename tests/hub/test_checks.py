"""System checks refuse to run production without encryption keys."""

from __future__ import annotations

from django.test import override_settings

from hub.checks import check_encryption_keys, check_secret_key


def ids(messages: list) -> list[str]:
    return [m.id for m in messages]


@override_settings(DEBUG=False, HUB_ENCRYPTION_KEYS=[])
def test_production_without_encryption_keys_is_an_error():
    (error,) = check_encryption_keys()
    assert error.id == "hub.E001"
    assert "HUB_ENCRYPTION_KEYS" in error.msg


@override_settings(DEBUG=True, HUB_ENCRYPTION_KEYS=[])
def test_development_without_keys_only_warns_about_the_derived_key():
    assert ids(check_encryption_keys()) == ["hub.W001"]


@override_settings(DEBUG=False, HUB_ENCRYPTION_KEYS=["not-a-fernet-key"])
def test_a_malformed_key_is_reported():
    assert ids(check_encryption_keys()) == ["hub.E002"]


@override_settings(DEBUG=False, SECRET_KEY="dev-insecure-webhook-hub-secret-key-change-me")
def test_production_with_the_development_secret_key_is_an_error():
    assert ids(check_secret_key()) == ["hub.E003"]
