"""The log table's indexes: each lookup the admin, the API, the dashboard and the senders make
has one, and nothing else is indexed (every claim and result rewrites the row in each index)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import QuerySet

from delivery.models import WebhookLog

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

LOOKUPS = {  # (the lookup, newest first as the lists show it; the index that serves it)
    "rule filter (admin, API, dashboard)": (
        lambda: WebhookLog.objects.filter(rule_id=1),
        "log_rule_time",
    ),
    "attempts of a retry entry": (lambda: WebhookLog.objects.filter(retry_id=1), "log_retry"),
    "by delivery id": (lambda: WebhookLog.objects.filter(delivery_id="msg_x"), "log_delivery_id"),
    "logs of an event": (lambda: WebhookLog.objects.filter(event_id=1), "event_id"),
    "status filter": (lambda: WebhookLog.objects.filter(status="failed"), "log_status_time"),
    "model filter": (lambda: WebhookLog.objects.filter(model="res.partner"), "log_model_time"),
    "newest first": (lambda: WebhookLog.objects.all(), "created_at"),
}


def _plan(qs: QuerySet[WebhookLog]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return qs.order_by("-created_at").explain()


@pytest.mark.parametrize("name", list(LOOKUPS))
def test_every_lookup_of_the_log_table_has_an_index(name: str) -> None:
    lookup, index = LOOKUPS[name]
    plan = _plan(lookup())
    assert "Index" in plan and index in plan, plan


def test_the_log_table_keeps_only_the_indexes_queries_use() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [WebhookLog._meta.db_table]
        )
        defs = [row[0] for row in cursor.fetchall()]
    assert len(defs) == 10, defs
    assert not [d for d in defs if "pattern_ops" in d]  # no LIKE copy of delivery_id
    (retry,) = [d for d in defs if "(retry_id)" in d]
    assert "IS NOT NULL" in retry  # only the attempts that have a retry entry
    assert not [d for d in defs if d.endswith("(rule_id)")]  # log_rule_time serves the rule
