"""Inbound settings with their defaults (all optional except HUB_INBOUND_MAX_BYTES's default)."""

from __future__ import annotations

from django.conf import settings


def max_bytes() -> int:
    return int(getattr(settings, "HUB_INBOUND_MAX_BYTES", 1024 * 1024))


def unaccepted_per_minute() -> int:
    """Rejected and duplicate requests stored per source per minute; the rest are only counted."""
    return int(getattr(settings, "HUB_INBOUND_REJECTED_PER_MINUTE", 20))


def unaccepted_keep() -> int:
    """Rejected and duplicate rows kept per source; older ones are pruned by the sweep."""
    return int(getattr(settings, "HUB_INBOUND_REJECTED_KEEP", 1000))


def unaccepted_body_bytes() -> int:
    """Prefix of the body kept on a rejected or duplicate row."""
    return int(getattr(settings, "HUB_INBOUND_REJECTED_BODY_BYTES", 4096))


def retry_policy() -> dict[str, float]:
    return {
        "max_attempts": int(getattr(settings, "HUB_INBOUND_RETRY_MAX_ATTEMPTS", 8)),
        "initial": float(getattr(settings, "HUB_INBOUND_RETRY_INITIAL", 60)),
        "multiplier": float(getattr(settings, "HUB_INBOUND_RETRY_MULTIPLIER", 2)),
        "cap": float(getattr(settings, "HUB_INBOUND_RETRY_CAP", 3600)),
    }


STUCK_RECEIVED_SECONDS = 300  # a "received" row whose task never ran is enqueued again
STUCK_PROCESSING_SECONDS = 900  # a worker that died mid-task: well above Q_CLUSTER timeout
SWEEP_BATCH = 200
