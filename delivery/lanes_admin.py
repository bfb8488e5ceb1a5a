"""Admin for endpoint lanes: limits, breaker state, pause/resume (imported by delivery.admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from delivery import lanes
from delivery.models import LANE_BREAKER, LANE_PAUSE, LANE_SETTINGS, Lane, LogStatus


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    list_display = (
        "rule",
        "paused",
        "held",
        "paused_at",
        "breaker_state",
        "open_until",
        "breaker_failures",
        "max_in_flight",
        "rate_limit",
        "on_gone",
        "last_success_at",
    )
    list_filter = ("paused", "breaker_state", "on_gone")
    search_fields = ("rule__name", "rule__url")
    list_select_related = ("rule",)
    actions = ("pause", "resume", "close_breaker")
    fieldsets = (
        (None, {"fields": ("rule", "rule_status")}),
        ("Limits", {"fields": LANE_SETTINGS}),
        ("Pause", {"fields": (*LANE_PAUSE, "held")}),
        ("Circuit breaker", {"fields": LANE_BREAKER}),
    )
    readonly_fields = ("rule_status", *LANE_PAUSE, "held", *LANE_BREAKER)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lane]:
        lanes.ensure_all()  # every rule has a lane to see and set, used or not
        pending = Q(rule__logs__status=LogStatus.PENDING)
        return super().get_queryset(request).annotate(held_count=Count("rule__logs", pending))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "rule") if obj else self.readonly_fields

    @admin.display(description="waiting deliveries", ordering="held_count")
    def held(self, lane: Lane) -> int:
        return getattr(lane, "held_count", None) or lanes.held(lane.rule_id)

    @admin.display(description="rule")
    def rule_status(self, lane: Lane) -> str:
        rule = lane.rule
        if not rule.active and rule.deactivated_reason:
            return (
                f"Deactivated: {rule.deactivated_reason} To pause instead next time, set "
                "'On 410 Gone' below to pause, then reactivate the rule."
            )
        return "active" if rule.active else "inactive"

    @admin.action(description="Pause: hold new deliveries (recorded, not sent)")
    def pause(self, request: HttpRequest, queryset: QuerySet[Lane]) -> None:
        count = lanes.pause(rule_ids=list(queryset.values_list("rule_id", flat=True)))
        messages.success(request, f"{count} lane(s) paused.")

    @admin.action(description="Resume: send held deliveries in order")
    def resume(self, request: HttpRequest, queryset: QuerySet[Lane]) -> None:
        count = lanes.resume(rule_ids=list(queryset.values_list("rule_id", flat=True)))
        messages.success(request, f"{count} lane(s) resumed.")

    @admin.action(description="Close the circuit breaker (send again now)")
    def close_breaker(self, request: HttpRequest, queryset: QuerySet[Lane]) -> None:
        count = lanes.close_breaker(rule_ids=list(queryset.values_list("rule_id", flat=True)))
        messages.success(request, f"{count} breaker(s) closed.")
