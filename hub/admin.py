"""Admin for the event history (read-only); the Odoo connector's admin lives in hub.odoo.admin."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from hub import rule_admin  # noqa: F401  (registers the webhook rule admin)
from hub.models import EventHistory
from hub.odoo import admin as odoo_admin  # noqa: F401  (registers connections and hooks)


def pretty(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


# --- event history (read-only) ---------------------------------------------------------------
@admin.register(EventHistory)
class EventHistoryAdmin(admin.ModelAdmin):
    date_hierarchy = "occurred_at"
    list_display = (
        "occurred_at",
        "type_display",
        "record_id",
        "source",
        "user_name",
        "rules_triggered",
        "success_count",
        "failure_count",
    )
    list_filter = ("event_code", "source", "model", "connection")
    search_fields = ("model", "event_code", "source", "=record_id", "=event_id")
    list_select_related = ("connection",)
    fields = (
        "event_id",
        "occurred_at",
        "source",
        "connection",
        "model",
        "record_id",
        "event_code",
        "user_pretty",
        "data_pretty",
        "changes_pretty",
        "rules_triggered",
        "success_count",
        "failure_count",
        "logs_link",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="Type", ordering="event_code")
    def type_display(self, obj: EventHistory) -> str:
        return obj.type

    @admin.display(description="User")
    def user_name(self, obj: EventHistory) -> str:
        return (obj.user or {}).get("name") or ""

    @admin.display(description="User")
    def user_pretty(self, obj: EventHistory) -> str:
        return pretty(obj.user)

    @admin.display(description="Data")
    def data_pretty(self, obj: EventHistory) -> str:
        return pretty(obj.data)

    @admin.display(description="Changes")
    def changes_pretty(self, obj: EventHistory) -> str:
        return pretty(obj.changes)

    @admin.display(description="Deliveries")
    def logs_link(self, obj: EventHistory) -> str:
        try:
            url = reverse("admin:delivery_webhooklog_changelist")
        except NoReverseMatch:
            return "-"
        links = [(f"{url}?event__id__exact={obj.pk}", "delivery logs of this event")]
        if obj.record_id is not None:
            # The per-record trace (dashboard): every event and delivery of this record.
            query = urlencode({"model": obj.model, "record_id": obj.record_id})
            links.append((f"{reverse('dashboard:trace')}?{query}", "trace of this record"))
        return format_html_join(", ", '<a href="{}">{}</a>', links)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
