"""Core entities: the event history; the Odoo connector's tables are re-exported from hub.odoo."""

from __future__ import annotations

import uuid

from django.db import models

from hub.odoo.models import (
    STANDARD_EVENTS,
    EchoSuppression,
    ModelHook,
    OdooConnection,
    OdooEcho,
    RecordSnapshot,
)

__all__ = [
    "STANDARD_EVENTS",
    "EchoSuppression",
    "EventHistory",
    "ModelHook",
    "OdooConnection",
    "OdooEcho",
    "RecordSnapshot",
]


class EventHistory(models.Model):
    """One recorded event (from Odoo, the API or an inbound webhook) and what it triggered."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True)
    source = models.CharField(
        max_length=150, help_text="Connection name, 'api' or 'inbound:<slug>'"
    )
    connection = models.ForeignKey(
        OdooConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    model = models.CharField(max_length=128)
    record_id = models.BigIntegerField(null=True, blank=True)
    event_code = models.CharField(max_length=128)
    user = models.JSONField(null=True, blank=True, help_text='{"id": 2, "name": "..."}')
    data = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(null=True, blank=True)
    rules_triggered = models.PositiveIntegerField(default=0)
    # POST /api/emit/ answers before planning: the ids of the matched rules whose deliveries are
    # not planned yet; NULL once planned (and for events planned when recorded). hub/unplanned.py
    pending_rules = models.JSONField(null=True, blank=True, editable=False)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name_plural = "event history"
        indexes = [
            models.Index(fields=["model", "occurred_at"], name="history_model_time"),
            models.Index(fields=["event_code", "occurred_at"], name="history_code_time"),
            # The per-record trace (dashboard/trace.py): one record's events, newest first.
            models.Index(fields=["model", "record_id", "occurred_at"], name="history_record_time"),
            # The planning sweep's lookup (hub/unplanned.py). Partial: it holds only the events
            # not planned yet (a few, for milliseconds), not the whole history.
            models.Index(
                fields=["created_at"],
                name="history_unplanned",
                condition=models.Q(pending_rules__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model}.{self.event_code} #{self.record_id}"

    @property
    def type(self) -> str:
        """`<model>.<event>`; a custom code that already names its model is the type itself."""
        if self.event_code.startswith(f"{self.model}."):
            return self.event_code  # "sale.order.confirmed", not "sale.order.sale.order.confirmed"
        return f"{self.model}.{self.event_code}"
