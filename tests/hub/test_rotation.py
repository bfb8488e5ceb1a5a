"""hub/lib/rotation.py: one secret rotator for outbound rules and inbound sources."""

from __future__ import annotations

import pytest

from hub.crypto import split_secrets
from inbound import rotation as inbound_rotation
from inbound.models import InboundSource
from rules.models import WebhookRule
from rules.services import drop_old_secrets, rotate_secret
from rules.validators import MAX_SECRETS


@pytest.mark.django_db
def test_a_rule_keeps_at_most_the_allowed_number_of_secrets_however_often_it_rotates() -> None:
    rule = WebhookRule.objects.create(name="r", model="res.partner", url="https://example.com/h")
    fresh = [rotate_secret(rule_id=rule.pk) for _ in range(MAX_SECRETS + 2)]
    rule.refresh_from_db()
    assert split_secrets(rule.secret) == fresh[::-1][:MAX_SECRETS]
    assert drop_old_secrets(rule_id=rule.pk) == MAX_SECRETS - 1
    rule.refresh_from_db()
    assert rule.secret == fresh[-1]


@pytest.mark.django_db
def test_a_source_rotates_with_a_secret_of_its_schemes_shape_and_drops_the_old_ones() -> None:
    source = InboundSource.objects.create(name="s", verification="basic", secret="a:b")
    fresh = inbound_rotation.rotate_secret(source_id=source.pk)
    assert fresh.startswith("webhook:")
    source.refresh_from_db()
    assert split_secrets(source.secret) == [fresh, "a:b"]
    assert inbound_rotation.drop_old_secrets(source_id=source.pk) == 1
    source.refresh_from_db()
    assert source.secret == fresh
