"""System checks for misconfiguration (hub.E001, ...); `check --deploy` adds the production ones."""

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


@register(Tags.security, deploy=True)
def check_private_targets(app_configs: Any = None, **kwargs: Any) -> list:
    from hub.ops.safety import private_targets_unsafe

    if not private_targets_unsafe():
        return []
    return [
        Error(
            "HUB_ALLOW_PRIVATE_TARGETS is on: webhooks may reach internal addresses.",
            hint="Unset it for production, or also set HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION=1 "
            "if internal targets are intended.",
            id="hub.E004",
        )
    ]


@register()
def check_queue_timeouts(app_configs: Any = None, **kwargs: Any) -> list:
    timeout = settings.Q_CLUSTER.get("timeout")
    retry = settings.Q_CLUSTER.get("retry")
    if timeout is None or retry is None or timeout < retry:
        return []
    return [
        Error(
            f"Q_CLUSTER timeout ({timeout} s) is not below its retry ({retry} s): a slow task "
            "would be handed to a second worker while the first still runs it.",
            hint="Keep Q_CLUSTER['timeout'] smaller than Q_CLUSTER['retry'].",
            id="hub.E005",
        )
    ]


@register()
def check_metrics_allow(app_configs: Any = None, **kwargs: Any) -> list:
    from django.core.exceptions import ImproperlyConfigured

    from hub.ops.access import allowed_networks

    try:
        allowed_networks(tuple(settings.HUB_METRICS_ALLOW))
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="List addresses or networks, e.g. 127.0.0.1,::1,10.0.0.0/8.",
                id="hub.E006",
            )
        ]
    return []
