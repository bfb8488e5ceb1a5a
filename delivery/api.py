"""API endpoints of this app (registered on hub.api.routers.router): logs, retries, lanes, and
send-test (`POST /api/rules/<id>/test/`, served here because sending is delivery's)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from delivery import lanes, retries
from delivery.models import LANE_BREAKER, LANE_PAUSE, LANE_SETTINGS, Lane, WebhookLog, WebhookRetry
from delivery.probe import send_test_now
from hub.api.permissions import ModelPermissions
from hub.api.routers import router
from rules.models import WebhookRule

LOG_LIST_FIELDS = [
    "id",
    "delivery_id",
    "rule",
    "rule_name",
    "event",
    "retry",
    "model",
    "record_id",
    "event_code",
    "url",
    "http_method",
    "response_status",
    "duration_ms",
    "status",
    "error",
    "attempt",
    "sent_at",
    "created_at",
]


class LogListSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookLog
        fields = LOG_LIST_FIELDS
        read_only_fields = fields


class LogSerializer(serializers.ModelSerializer):
    """One attempt in full: request headers (secrets redacted) and bodies."""

    class Meta:
        model = WebhookLog
        fields = [
            *LOG_LIST_FIELDS,
            "request_headers",
            "request_body",
            "response_headers",
            "response_body",
        ]
        read_only_fields = fields


class LogFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    event = django_filters.CharFilter(field_name="event_code")

    class Meta:
        model = WebhookLog
        fields = [
            "status", "rule", "model", "record_id", "event_code", "http_method", "delivery_id",
        ]  # fmt: skip


class LogViewSet(viewsets.ReadOnlyModelViewSet):
    """Delivery attempts, newest first. Filters: status, rule, model, record_id, event, dates."""

    queryset = WebhookLog.objects.all()
    filterset_class = LogFilter
    ordering_fields = ["created_at", "duration_ms", "response_status", "attempt"]

    def get_serializer_class(self) -> type[serializers.ModelSerializer]:
        return LogListSerializer if self.action == "list" else LogSerializer


class RetrySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookRetry
        fields = [
            "id",
            "delivery_id",
            "rule",
            "event",
            "state",
            "attempts",
            "max_attempts",
            "next_retry_at",
            "initial_delay",
            "multiplier",
            "max_interval",
            "last_status",
            "last_error",
            "exhausted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RetryFilter(django_filters.FilterSet):
    class Meta:
        model = WebhookRetry
        fields = ["state", "rule", "event", "delivery_id"]


class RetryActionPermission(ModelPermissions):
    """Retry and cancel change an entry: they need `change`, not `add`."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class ActionResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class RetryViewSet(viewsets.ReadOnlyModelViewSet):
    """The retry queue and its dead letters (state `exhausted`); retry now or cancel."""

    queryset = WebhookRetry.objects.all()
    serializer_class = RetrySerializer
    filterset_class = RetryFilter
    ordering_fields = ["created_at", "next_retry_at", "attempts", "updated_at"]

    def _act(self, func: Any, ids: list[int], *, single: bool) -> Response:
        count = func(retry_ids=ids)
        if single and not count:
            return Response(
                {"detail": "Not possible in this state.", "count": 0},
                status=status.HTTP_409_CONFLICT,
            )
        return Response({"count": count}, status=status.HTTP_202_ACCEPTED)

    def _filtered_ids(self) -> list[int]:
        queryset: QuerySet[WebhookRetry] = self.filter_queryset(self.get_queryset())
        return list(queryset.values_list("id", flat=True))

    @extend_schema(request=None, responses=ActionResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RetryActionPermission])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Attempt this delivery now (dead letters, cancelled and waiting entries)."""
        return self._act(retries.retry_now, [self.get_object().pk], single=True)

    @extend_schema(request=None, responses=ActionResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RetryActionPermission])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop retrying this delivery, or dismiss it from the dead letters."""
        return self._act(retries.cancel, [self.get_object().pk], single=True)

    @extend_schema(
        request=None, responses=ActionResultSerializer, operation_id="api_retries_bulk_retry"
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="retry",
        permission_classes=[RetryActionPermission],
    )
    def retry_filtered(self, request: Request) -> Response:
        """Bulk: retry every entry matching the query-string filters (e.g. ?state=exhausted)."""
        return self._act(retries.retry_now, self._filtered_ids(), single=False)

    @extend_schema(
        request=None, responses=ActionResultSerializer, operation_id="api_retries_bulk_cancel"
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="cancel",
        permission_classes=[RetryActionPermission],
    )
    def cancel_filtered(self, request: Request) -> Response:
        """Bulk: cancel every entry matching the query-string filters."""
        return self._act(retries.cancel, self._filtered_ids(), single=False)


router.register("logs", LogViewSet, basename="webhooklog")
router.register("retries", RetryViewSet, basename="webhookretry")


class LaneSerializer(serializers.ModelSerializer):
    """A rule's endpoint lane: its limits (writable) and its live state (read-only)."""

    held = serializers.SerializerMethodField()
    in_flight = serializers.SerializerMethodField()

    class Meta:
        model = Lane
        fields = [
            "rule", *LANE_SETTINGS, *LANE_PAUSE, "held", "in_flight", *LANE_BREAKER, "updated_at"
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in LANE_SETTINGS]

    def get_held(self, lane: Lane) -> int:
        return lanes.held(lane.rule_id)

    def get_in_flight(self, lane: Lane) -> int:
        return lanes.in_flight([lane.rule_id], timezone.now()).get(lane.rule_id, 0)


class LaneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Endpoint lanes, one per rule (id = the rule's id): limits, breaker, pause; actions
    pause, resume and close-breaker. A rule that never sent has the default lane."""

    queryset = Lane.objects.select_related("rule").order_by("rule_id")
    serializer_class = LaneSerializer
    filterset_fields = ["paused", "breaker_state"]

    def get_queryset(self) -> QuerySet[Lane]:
        lanes.ensure_all()
        return super().get_queryset()

    def _act(self, func: Any) -> Response:
        lane = self.get_object()
        func(rule_ids=[lane.rule_id])
        lane.refresh_from_db()
        return Response(LaneSerializer(lane).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=LaneSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RetryActionPermission])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        """Hold this rule's new deliveries (recorded, not sent) until resumed."""
        return self._act(lanes.pause)

    @extend_schema(request=None, responses=LaneSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RetryActionPermission])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        """Send the held deliveries, oldest first, and new ones as they come."""
        return self._act(lanes.resume)

    @extend_schema(request=None, responses=LaneSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="close-breaker",
        permission_classes=[RetryActionPermission],
    )
    def close_breaker(self, request: Request, pk: str | None = None) -> Response:
        """Close the circuit breaker (and forget a Retry-After wait): send again now."""
        return self._act(lanes.close_breaker)


router.register("lanes", LaneViewSet, basename="lane")


RuleTestResult = inline_serializer(
    "RuleTestResult",
    {
        "id": serializers.IntegerField(),
        "delivery_id": serializers.CharField(),
        "status": serializers.CharField(),
        "response_status": serializers.IntegerField(allow_null=True),
        "response_body": serializers.CharField(),
        "duration_ms": serializers.IntegerField(allow_null=True),
        "error": serializers.CharField(),
    },
)


class RuleTestViewSet(viewsets.GenericViewSet):
    """``POST /api/rules/<id>/test/``: the rule's send-test, next to the rule's own routes.

    Registered under a prefix that holds the id, so it adds one route to the rules' URLs
    without a second ``rules`` entry on the API root; the permissions are the rule's (POST
    needs ``rules.add_webhookrule``, as every POST action on a rule)."""

    queryset = WebhookRule.objects.all()
    filter_backends = ()
    pagination_class = None
    lookup_url_kwarg = "pk"

    @extend_schema(request=None, responses={200: RuleTestResult})
    def create(self, request: Request, pk: str | None = None) -> Response:
        """Send a sample delivery now (test mode rules only log it) and return the outcome."""
        log = send_test_now(rule=self.get_object())
        return Response(
            {
                "id": log.pk,
                "delivery_id": log.delivery_id,
                "status": log.status,
                "response_status": log.response_status,
                "response_body": log.response_body,
                "duration_ms": log.duration_ms,
                "error": log.error,
            }
        )


router.register(r"rules/(?P<pk>[^/.]+)/test", RuleTestViewSet, basename="webhookrule-test")
