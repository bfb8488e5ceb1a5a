"""Inbound tunables: settings read at call time (defaults in hub/settings.py), sweep limits."""

from __future__ import annotations

from django.conf import settings


def max_bytes() -> int:
    return int(settings.HUB_INBOUND_MAX_BYTES)


def batch_writes() -> bool:
    """Whether accepted rows go through inbound.writer (where it applies: services)."""
    return bool(settings.HUB_INBOUND_BATCH_WRITES)


def unaccepted_per_minute() -> int:
    """Rejected and duplicate requests stored per source per minute; the rest are only counted."""
    return int(settings.HUB_INBOUND_REJECTED_PER_MINUTE)


def unaccepted_keep() -> int:
    """Rejected and duplicate rows kept per source; older ones are pruned by the sweep."""
    return int(settings.HUB_INBOUND_REJECTED_KEEP)


def unaccepted_body_bytes() -> int:
    """Prefix of the body kept on a rejected or duplicate row."""
    return int(settings.HUB_INBOUND_REJECTED_BODY_BYTES)


def retry_policy() -> dict[str, float]:
    return {
        "max_attempts": int(settings.HUB_INBOUND_RETRY_MAX_ATTEMPTS),
        "initial": float(settings.HUB_INBOUND_RETRY_INITIAL),
        "multiplier": float(settings.HUB_INBOUND_RETRY_MULTIPLIER),
        "cap": float(settings.HUB_INBOUND_RETRY_CAP),
    }


STUCK_RECEIVED_SECONDS = 300  # a "received" row whose task never ran is enqueued again
STUCK_PROCESSING_SECONDS = 900  # a worker that died mid-task: well above Q_CLUSTER timeout
SWEEP_BATCH = 200
