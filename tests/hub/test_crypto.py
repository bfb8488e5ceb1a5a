"""Secrets at rest: encrypted columns, key rotation, whsec_ secrets."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from hub import crypto
from hub.models import OdooConnection
from rules.models import WebhookRule


def test_encrypt_round_trips_and_hides_the_plaintext():
    stored = crypto.encrypt("s3cret-value")
    assert "s3cret-value" not in stored
    assert crypto.decrypt(stored) == "s3cret-value"


def test_old_keys_still_decrypt_after_rotation():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    crypto._fernet.cache_clear()
    with override_settings(HUB_ENCRYPTION_KEYS=[old]):
        stored = crypto.encrypt("rotate-me")
    with override_settings(HUB_ENCRYPTION_KEYS=[new, old]):
        assert crypto.decrypt(stored) == "rotate-me"
        rotated = crypto.rotate(stored)
    with override_settings(HUB_ENCRYPTION_KEYS=[new]):
        assert crypto.decrypt(rotated) == "rotate-me"
        with pytest.raises(ValueError, match="no configured key"):
            crypto.decrypt(stored)


def test_a_plaintext_value_is_never_taken_for_ciphertext():
    with pytest.raises(ValueError, match="not encrypted"):
        crypto.decrypt("plain")


@pytest.mark.django_db
def test_the_raw_database_column_does_not_contain_the_plaintext():
    conn = OdooConnection.objects.create(
        name="prod", url="http://odoo.example", database="db", username="u", password="hunter2-pw"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM hub_odooconnection WHERE id = %s", [conn.pk])
        raw = cursor.fetchone()[0]
    assert "hunter2-pw" not in raw
    assert raw.startswith(crypto.PREFIX)
    assert OdooConnection.objects.get(pk=conn.pk).password == "hunter2-pw"


@pytest.mark.django_db
def test_rule_signing_secrets_are_generated_in_whsec_format_and_encrypted():
    rule = WebhookRule.objects.create(name="r", model="res.partner", url="https://example.com/h")
    assert rule.secret.startswith("whsec_")
    assert len(base64.b64decode(rule.secret.removeprefix("whsec_"))) == 32
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM rules_webhookrule WHERE id = %s", [rule.pk])
        assert rule.secret not in cursor.fetchone()[0]


def test_several_secrets_are_split_on_new_lines_and_spaces():
    assert crypto.split_secrets("whsec_a\nwhsec_b  whsec_c") == ["whsec_a", "whsec_b", "whsec_c"]
