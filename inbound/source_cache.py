"""A short per-process cache of inbound sources by slug: an accepted request needs no lookup query.

An entry lives ``HUB_INBOUND_SOURCE_CACHE_SECONDS`` (default 2; 0 turns the cache off). Saving or
deleting a source (admin, API) and the rotation actions clear the saving process's cache at
once; other web processes see the change when their entry expires. Only existing sources are
cached: a new source answers at once everywhere.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import transaction

from inbound.models import InboundSource

MAX_ENTRIES = 1000  # bounded by the number of real sources; a safety net, not a policy
_lock = threading.Lock()
_entries: dict[str, tuple[float, InboundSource]] = {}


def ttl() -> float:
    return float(settings.HUB_INBOUND_SOURCE_CACHE_SECONDS)


def source_by_slug(slug: str, *, now: float) -> InboundSource | None:
    """The source with this slug, read from the database at most once per ``ttl()`` seconds.

    The instance is shared by the process's threads: callers only read it.
    """
    seconds = ttl()
    entry = _entries.get(slug) if seconds > 0 else None
    # A clock that went backwards (wall time) expires the entry rather than extending it.
    if entry is not None and 0 <= now - entry[0] < seconds:
        return entry[1]
    source = InboundSource.objects.filter(slug=slug).first()
    if source is not None and seconds > 0:
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            _entries[slug] = (now, source)
    return source


def clear() -> None:
    """Forget every entry."""
    with _lock:
        _entries.clear()


def source_changed(**kwargs: Any) -> None:
    """A source was saved, deleted or had its secrets rotated: forget the cache now, and again
    when the change commits (a request served meanwhile may have cached the old row)."""
    clear()
    transaction.on_commit(clear, robust=True)
