"""Secret rotation for any model with a ``secret`` (several, newest first) and ``updated_at``.

Every listed secret stays valid, so the other side switches at its own pace; then the old ones
are dropped. The row is locked while its secrets change, so two rotations never lose one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from hub.crypto import split_secrets

Fresh = Callable[[Any], str]  # the locked row -> a new secret of the shape it needs


def rotate_secret(
    *, model: type[models.Model], pk: int, fresh: Fresh, keep: int | None = None
) -> str:
    """Put a fresh secret in front of the current ones (at most ``keep`` of them stay)."""
    with transaction.atomic():
        row = _locked(model, pk)
        new = fresh(row)
        kept = split_secrets(row.secret or "")
        _store(model, pk, [new, *(kept if keep is None else kept[:keep])])
    return new


def replace_secrets(*, model: type[models.Model], pk: int, fresh: Fresh) -> str:
    """Replace every secret with a fresh one (a new row, or after a leak)."""
    with transaction.atomic():
        new = fresh(_locked(model, pk))
        _store(model, pk, [new])
    return new


def drop_old_secrets(*, model: type[models.Model], pk: int) -> int:
    """Keep only the newest (first) secret; returns how many were dropped."""
    with transaction.atomic():
        current = split_secrets(_locked(model, pk).secret or "")
        if len(current) <= 1:
            return 0
        _store(model, pk, current[:1])
    return len(current) - 1


def _locked(model: type[models.Model], pk: int) -> Any:
    return model._default_manager.select_for_update().get(pk=pk)


def _store(model: type[models.Model], pk: int, secrets: list[str]) -> None:
    # An UPDATE, not save(): a model's save() may do more than store a secret.
    model._default_manager.filter(pk=pk).update(
        secret="\n".join(secrets), updated_at=timezone.now()
    )
