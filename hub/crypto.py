"""Secrets at rest: MultiFernet over HUB_ENCRYPTION_KEYS, encrypted model fields, whsec_ secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

PREFIX = "enc1:"  # marks an encrypted value, so a plaintext never passes for ciphertext


def derived_dev_key() -> bytes:
    """A key derived from SECRET_KEY, for development only (hub.W001 warns about it)."""
    digest = hashlib.sha256(("webhook-hub-fernet:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    material = [k.encode() for k in keys] or [derived_dev_key()]
    return MultiFernet([Fernet(k) for k in material])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.HUB_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: no configured key matches (HUB_ENCRYPTION_KEYS)") from exc


def rotate(stored: str) -> str:
    """Re-encrypt with the first (current) key."""
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python code only ever sees the plaintext."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str:
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value: object) -> str:
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(str(value))


class EncryptedJSONField(models.TextField):
    """JSON (an object) stored as Fernet ciphertext of its text; Python code sees the object.

    A text column, not JSON: the database cannot query inside it, which is the point. An empty
    object is stored as "" (nothing to hide), like an empty EncryptedTextField.
    """

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        if not value:
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value: object) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value) if value else {}
            except ValueError as exc:
                raise ValidationError("Enter valid JSON.", code="invalid") from exc
        return value

    def get_prep_value(self, value: object) -> str:
        if not value:
            return ""
        return encrypt(json.dumps(value, sort_keys=True, ensure_ascii=False))

    def value_to_string(self, obj: models.Model) -> str:
        # dumpdata writes the plaintext, like EncryptedTextField (the value, not the column).
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class or forms.JSONField,
            choices_form_class=choices_form_class,
            **kwargs,
        )


def generate_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def split_secrets(value: str) -> list[str]:
    """Several secrets may be active during rotation: one per line or space separated."""
    return [s for s in value.split() if s]


def generate_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
