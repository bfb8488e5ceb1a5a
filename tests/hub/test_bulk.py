"""hub.lib.bulk.insert stores rows exactly as bulk_create would, and sets their primary keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.lib import bulk
from hub.models import EventHistory

pytestmark = pytest.mark.django_db


def make(n: int) -> EventHistory:
    return EventHistory(
        occurred_at=datetime(2026, 1, 5, 10, n // 60, n % 60, tzinfo=UTC),
        source="api",
        model="res.partner",
        record_id=n,
        event_code="write",
        user={"id": 2, "name": "Mitchell Admin"} if n % 2 else None,
        data={"id": n, "name": f"P{n} é", "tags": [1, 2]},
        changes=None if n % 2 else {"name": {"before": "a", "after": "b"}},
    )


def test_inserted_events_read_back_like_bulk_created_ones():
    mine = bulk.insert([make(n) for n in range(150)])  # more than one statement
    theirs = EventHistory.objects.bulk_create([make(n) for n in range(150)])
    assert all(row.pk for row in mine) and len({row.pk for row in mine}) == 150
    fields = ("occurred_at", "record_id", "user", "data", "changes", "event_id", "created_at")
    for a, b in zip(mine, theirs, strict=True):
        stored = EventHistory.objects.values(*fields).get(pk=a.pk)
        other = EventHistory.objects.values(*fields).get(pk=b.pk)
        assert stored["event_id"] == a.event_id and stored["created_at"] is not None
        assert {k: stored[k] for k in fields[:5]} == {k: other[k] for k in fields[:5]}


def test_nothing_to_insert_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert([]) == []
