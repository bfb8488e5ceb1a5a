"""OpenAPI description of GET /webhook/dashboard/data (serializers used only by the schema)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from dashboard.metrics import INBOUND_STATES
from dashboard.selectors import MAX_DAYS


class SummarySerializer(serializers.Serializer):
    total_sent = serializers.IntegerField(help_text="Attempts sent (success + failed).")
    success_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    pending_count = serializers.IntegerField()
    test_count = serializers.IntegerField(help_text="Test-mode attempts (built, not sent).")
    success_rate = serializers.FloatField(allow_null=True, help_text="Percent; null: none sent.")
    avg_duration_ms = serializers.FloatField(allow_null=True)
    retry_queue = serializers.IntegerField(help_text="Retry entries waiting now.")
    dead_letter = serializers.IntegerField(help_text="Exhausted retry entries now.")


class _GroupSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    success = serializers.IntegerField()
    failed = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    avg_duration_ms = serializers.FloatField(allow_null=True)


class EndpointSerializer(_GroupSerializer):
    url = serializers.CharField()


class ModelCountSerializer(_GroupSerializer):
    model = serializers.CharField()


class EventTypeSerializer(_GroupSerializer):
    event_code = serializers.CharField()


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    total = serializers.IntegerField()
    success = serializers.IntegerField()
    failed = serializers.IntegerField()


class RecentErrorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    rule_id = serializers.IntegerField(allow_null=True)
    rule_name = serializers.CharField()
    model = serializers.CharField()
    event_code = serializers.CharField()
    url = serializers.CharField()
    response_status = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(help_text="The first 300 characters.")
    attempt = serializers.IntegerField()
    delivery_id = serializers.UUIDField()
    admin_url = serializers.CharField(allow_null=True)


# One count per processing state, so the class is built from the state names.
InboundDaySerializer = type(
    "InboundDaySerializer",
    (serializers.Serializer,),
    {
        "date": serializers.DateField(),
        "total": serializers.IntegerField(),
        **{state: serializers.IntegerField() for state in INBOUND_STATES},
    },
)


class InboundSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    states = serializers.DictField(
        child=serializers.IntegerField(), help_text=f"Per state: {', '.join(INBOUND_STATES)}."
    )
    verification_failed = serializers.IntegerField()
    daily = InboundDaySerializer(many=True)


class RangeSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    since = serializers.DateTimeField()
    rule = serializers.IntegerField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    generated_at = serializers.DateTimeField()


class LaneAttentionSerializer(serializers.Serializer):
    """A lane that needs an operator's eye: paused, breaker open / half-open, or slowed."""

    rule = serializers.IntegerField()
    rule_name = serializers.CharField()
    paused = serializers.BooleanField()
    paused_at = serializers.DateTimeField(allow_null=True)
    held = serializers.IntegerField(help_text="Deliveries waiting in the lane.")
    breaker_state = serializers.CharField(help_text="closed, open or half_open.")
    open_until = serializers.DateTimeField(allow_null=True)
    breaker_failures = serializers.IntegerField()
    slow_until = serializers.DateTimeField(allow_null=True, help_text="Retry-After wait.")
    last_error = serializers.CharField()


class DashboardDataSerializer(serializers.Serializer):
    summary = SummarySerializer()
    top_endpoints = EndpointSerializer(many=True)
    events_per_model = ModelCountSerializer(many=True)
    daily_traffic = DaySerializer(many=True)
    event_types = EventTypeSerializer(many=True)
    recent_errors = RecentErrorSerializer(many=True)
    inbound = InboundSerializer()
    lanes = LaneAttentionSerializer(many=True)
    range = RangeSerializer()


PARAMETERS = [
    OpenApiParameter("days", int, description=f"Days up to today, 1-{MAX_DAYS} (default 7)."),
    OpenApiParameter("rule", int, description="Only this rule's deliveries."),
    OpenApiParameter("model", str, description="Only this Odoo model's deliveries."),
]
