"""Services on rules: signing secret rotation (used by the admin and the API)."""

from __future__ import annotations

from typing import Any

from hub.crypto import generate_signing_secret
from hub.lib import rotation
from rules.models import WebhookRule
from rules.validators import MAX_SECRETS


def _fresh(rule: Any) -> str:
    return generate_signing_secret()


def rotate_secret(*, rule_id: int) -> str:
    """Add a new signing secret in front of the current ones and return it (shown once).

    Every listed secret signs each delivery, so receivers keep verifying with the old secret
    until they switch; then ``drop_old_secrets`` removes it.
    """
    return rotation.rotate_secret(model=WebhookRule, pk=rule_id, fresh=_fresh, keep=MAX_SECRETS - 1)


def drop_old_secrets(*, rule_id: int) -> int:
    """Keep only the newest (first) secret; return how many were removed."""
    return rotation.drop_old_secrets(model=WebhookRule, pk=rule_id)
