"""Services on rules: signing secret rotation (used by the admin and the API)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hub.crypto import generate_signing_secret, split_secrets
from rules.models import WebhookRule
from rules.validators import MAX_SECRETS


def rotate_secret(*, rule_id: int) -> str:
    """Add a new signing secret in front of the current ones and return it (shown once).

    Every listed secret signs each delivery, so receivers keep verifying with the old secret
    until they switch; then ``drop_old_secrets`` removes it.
    """
    with transaction.atomic():
        rule = WebhookRule.objects.select_for_update().get(pk=rule_id)
        new = generate_signing_secret()
        kept = split_secrets(rule.secret)[: MAX_SECRETS - 1]
        _store(rule_id, [new, *kept])
    return new


def drop_old_secrets(*, rule_id: int) -> int:
    """Keep only the newest (first) secret; return how many were removed."""
    with transaction.atomic():
        rule = WebhookRule.objects.select_for_update().get(pk=rule_id)
        secrets = split_secrets(rule.secret)
        if len(secrets) <= 1:
            return 0
        _store(rule_id, secrets[:1])
    return len(secrets) - 1


def _store(rule_id: int, secrets: list[str]) -> None:
    WebhookRule.objects.filter(pk=rule_id).update(
        secret="\n".join(secrets), updated_at=timezone.now()
    )
