"""API endpoints of this app (registered on hub.api.routers.router): logs, retries (+ actions)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from delivery import services
from delivery.models import WebhookLog, WebhookRetry
from hub.api.permissions import ModelPermissions
from hub.api.routers import router

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
        return self._act(services.retry_now, [self.get_object().pk], single=True)

    @extend_schema(request=None, responses=ActionResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RetryActionPermission])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop retrying this delivery, or dismiss it from the dead letters."""
        return self._act(services.cancel, [self.get_object().pk], single=True)

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
        return self._act(services.retry_now, self._filtered_ids(), single=False)

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
        return self._act(services.cancel, self._filtered_ids(), single=False)


router.register("logs", LogViewSet, basename="webhooklog")
router.register("retries", RetryViewSet, basename="webhookretry")
