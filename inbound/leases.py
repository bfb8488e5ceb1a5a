"""Short named leases in the database, so two workers never upsert the same Odoo record at once."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from inbound.models import InboundLease

POLL = 0.2  # seconds between attempts while waiting for a lease


class LeaseBusy(Exception):
    """Someone else holds the lease; the work is retried later (transient)."""

    transient = True


def lease_name(*parts: object) -> str:
    name = ":".join(str(p) for p in parts)
    if len(name) <= 255:
        return name
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def _take(name: str, holder: str, seconds: int) -> bool:
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    # A lease whose holder died is taken over once it has expired.
    stolen = InboundLease.objects.filter(name=name, expires_at__lt=now).update(
        holder=holder, expires_at=expires
    )
    if stolen:
        return True
    try:
        with transaction.atomic():
            InboundLease.objects.create(name=name, holder=holder, expires_at=expires)
    except IntegrityError:
        return False
    return True


@contextmanager
def lease(name: str, *, seconds: int = 300, wait: float = 10.0) -> Iterator[None]:
    """Hold ``name`` for the block (at most ``seconds``); wait up to ``wait`` s, then LeaseBusy."""
    holder = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while not _take(name, holder, seconds):
        if time.monotonic() >= deadline:
            raise LeaseBusy(f"another worker is processing {name}")
        time.sleep(POLL)
    try:
        yield
    finally:
        InboundLease.objects.filter(name=name, holder=holder).delete()
