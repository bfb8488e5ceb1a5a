"""Secret and slug rotation for a source (admin actions call these)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from hub.lib import rotation
from inbound.models import InboundSource, generate_slug
from inbound.schemes import SCHEMES
from inbound.source_cache import source_changed


def _own_secret(source: InboundSource) -> str:
    scheme = SCHEMES[source.verification]
    if not scheme.uses_secret:
        raise ValidationError(f"{source}: verification 'none' has no secret; rotate the slug.")
    if scheme.new_secret is None:
        raise ValidationError(
            f"{source}: {source.verification} issues the secret; paste the new one into the form."
        )
    return scheme.new_secret()


def generate_secret(*, source_id: int) -> str:
    """Replace every secret with a fresh one (a new source, or after a leak)."""
    secret = rotation.replace_secrets(model=InboundSource, pk=source_id, fresh=_own_secret)
    source_changed()  # an UPDATE sends no signal: the old secret stops working at once here
    return secret


def rotate_secret(*, source_id: int) -> str:
    """Add a fresh secret in front; the old ones stay valid until dropped."""
    secret = rotation.rotate_secret(model=InboundSource, pk=source_id, fresh=_own_secret)
    source_changed()
    return secret


def drop_old_secrets(*, source_id: int) -> int:
    """Keep only the newest secret (the first); returns how many were dropped."""
    dropped = rotation.drop_old_secrets(model=InboundSource, pk=source_id)
    source_changed()
    return dropped


@transaction.atomic
def new_slug(*, source_id: int) -> str:
    """A new URL for the source; the old one answers 404 at once (for 'none': a new secret)."""
    source = InboundSource.objects.select_for_update().get(pk=source_id)
    source.slug = generate_slug()
    source.save(update_fields=["slug", "updated_at"])
    return source.slug
