"""Saving a source: its handler_config, its secret(s) and its slug are checked (admin and API)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from hub.crypto import generate_signing_secret, split_secrets
from hub.lib.signing import signing_key
from inbound.handlers import HANDLERS

if TYPE_CHECKING:
    from inbound.models import InboundSource

MIN_SECRET_SLUG = 24  # a "none" source's slug is its only secret
SENDER_CHOSEN = {"stripe", "shopify"}  # the sender issues these secrets: paste them in


def new_secret(scheme: str) -> str:
    """A fresh secret in the shape the scheme expects."""
    if scheme in {"hmac", "standard"}:
        return generate_signing_secret()
    if scheme == "basic":
        return "webhook:" + secrets.token_urlsafe(24)
    return secrets.token_urlsafe(32)


def validate_secrets(source: InboundSource) -> None:
    scheme = source.verification
    values = split_secrets(source.secret or "")
    if scheme == "none":
        if len(source.slug or "") < MIN_SECRET_SLUG:
            raise ValidationError(
                {
                    "slug": f"With verification 'none' the slug is the secret: use a generated "
                    f"slug of at least {MIN_SECRET_SLUG} characters."
                }
            )
        return
    if not values:
        if scheme in SENDER_CHOSEN:
            raise ValidationError({"secret": f"Paste the signing secret issued by {scheme}."})
        source.secret = new_secret(scheme)
        return
    if scheme == "basic" and not all(":" in v for v in values):
        raise ValidationError({"secret": 'Basic secrets are "user:password".'})
    if scheme in {"hmac", "standard"}:
        for position, value in enumerate(values, start=1):
            # Never echo the secret: validation messages reach API responses and logs.
            if (scheme == "standard" and not value.startswith("whsec_")) or not signing_key(value):
                raise ValidationError(
                    {
                        "secret": f"Secret {position} is not a valid whsec_ secret: expected "
                        "whsec_ followed by base64 (Standard Webhooks secrets always carry the "
                        "whsec_ prefix; add it if the sender showed only the base64 part)."
                    }
                )


def validate_handler(source: InboundSource) -> None:
    module = HANDLERS.get(source.handler)
    if module is None:
        raise ValidationError({"handler": f"Unknown handler {source.handler!r}."})
    if source.handler_config is None:
        source.handler_config = {}
    module.validate_config(source.handler_config, source=source)


def validate_source(source: InboundSource) -> None:
    errors: dict[str, list[str]] = {}
    for check in (validate_secrets, validate_handler):
        try:
            check(source)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
