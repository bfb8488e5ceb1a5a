"""Settings a production process refuses to start with: one clear line (problem + fix) each."""

from __future__ import annotations

from django.conf import settings

DEV_SECRET_PREFIX = "dev-insecure"


def unsafe_settings() -> list[str]:
    """The reasons not to serve production traffic with the current settings (empty: safe)."""
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on: set DJANGO_DEBUG=0 for production.")
    if settings.SECRET_KEY.startswith(DEV_SECRET_PREFIX):
        problems.append(
            "DJANGO_SECRET_KEY is not set: set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if not settings.HUB_ENCRYPTION_KEYS:
        problems.append(
            "HUB_ENCRYPTION_KEYS is not set: set one or more Fernet keys "
            "(python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )
    if private_targets_unsafe():
        problems.append(
            "HUB_ALLOW_PRIVATE_TARGETS is on (webhooks may reach internal addresses): unset it, "
            "or also set HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION=1 if that is intended."
        )
    return problems


def private_targets_unsafe() -> bool:
    """Private targets allowed without the explicit production override."""
    return bool(
        settings.HUB_ALLOW_PRIVATE_TARGETS and not settings.HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION
    )
