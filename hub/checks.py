"""System checks for misconfiguration (hub.E001, ...)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=False)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list:
    keys = settings.HUB_ENCRYPTION_KEYS
    problems: list = []
    for i, key in enumerate(keys):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            problems.append(
                Error(
                    f"HUB_ENCRYPTION_KEYS entry {i + 1} is not a valid Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="hub.E002",
                )
            )
    if keys:
        return problems
    if not settings.DEBUG:
        problems.append(
            Error(
                "HUB_ENCRYPTION_KEYS is not set and DEBUG is off: secrets cannot be encrypted "
                "safely.",
                hint="Set HUB_ENCRYPTION_KEYS to one or more Fernet keys (comma separated; the "
                "first encrypts, all decrypt).",
                id="hub.E001",
            )
        )
    else:
        problems.append(
            Warning(
                "HUB_ENCRYPTION_KEYS is not set: using a key derived from DJANGO_SECRET_KEY "
                "(development only).",
                id="hub.W001",
            )
        )
    return problems


@register(Tags.security, deploy=False)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list:
    if not settings.DEBUG and settings.SECRET_KEY.startswith("dev-insecure"):
        return [Error("DJANGO_SECRET_KEY is not set and DEBUG is off.", id="hub.E003")]
    return []
