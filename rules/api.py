"""API endpoints of this app (registered on hub.api.routers.router): events, rules, emit."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api.routers import router
from hub.events import NewEvent, record_event
from hub.lib.json import non_finite_message
from rules.models import WebhookEvent, WebhookRule
from rules.serializers import EmitSerializer, WebhookEventSerializer, WebhookRuleSerializer
from rules.services import drop_old_secrets, rotate_secret


class WebhookEventFilter(django_filters.FilterSet):
    class Meta:
        model = WebhookEvent
        fields = ("code", "model", "is_standard", "active")


class WebhookEventViewSet(viewsets.ModelViewSet):
    queryset = WebhookEvent.objects.all()
    serializer_class = WebhookEventSerializer
    filterset_class = WebhookEventFilter
    ordering_fields = ("id", "code", "name", "model")

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        if event.is_standard:
            raise serializers.ValidationError({"detail": "Standard events cannot be deleted."})
        used_by = list(event.rules.values_list("name", flat=True)[:5])
        if used_by:
            raise serializers.ValidationError(
                {"detail": f"The event is used by rule(s) {', '.join(used_by)}; remove it first."}
            )
        return super().destroy(request, *args, **kwargs)


class WebhookRuleFilter(django_filters.FilterSet):
    event = django_filters.CharFilter(
        field_name="events__code", distinct=True, help_text="An event code, e.g. write."
    )

    class Meta:
        model = WebhookRule
        fields = ("model", "active", "test_mode", "dispatch_mode", "http_method", "connection")


TestResult = inline_serializer(
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
SecretResult = inline_serializer(
    "RuleNewSecret",
    {"secret": serializers.CharField(), "active_secrets": serializers.IntegerField()},
)
DroppedResult = inline_serializer("RuleDroppedSecrets", {"removed": serializers.IntegerField()})


class WebhookRuleViewSet(viewsets.ModelViewSet):
    queryset = (
        WebhookRule.objects.select_related("connection")
        .prefetch_related("events", "payload_fields")
        .order_by("name", "id")
    )
    serializer_class = WebhookRuleSerializer
    filterset_class = WebhookRuleFilter
    ordering_fields = ("id", "name", "model", "active", "created_at", "updated_at")

    @extend_schema(request=None, responses={200: TestResult})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a sample delivery now (test mode rules only log it) and return the outcome."""
        from delivery.services import send_test  # delivery depends on rules, not the reverse
        from rules.planning import plan_one
        from rules.samples import sample_event

        rule = self.get_object()
        event = sample_event(rule=rule)
        log = send_test(event=event, planned=plan_one(rule=rule, event=event))
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

    @extend_schema(request=None, responses={200: SecretResult})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Add a new signing secret (returned once); the previous ones keep signing."""
        rule = self.get_object()
        secret = rotate_secret(rule_id=rule.pk)
        rule.refresh_from_db(fields=["secret"])
        return Response({"secret": secret, "active_secrets": len(rule.secrets)})

    @extend_schema(request=None, responses={200: DroppedResult})
    @action(detail=True, methods=["post"], url_path="drop-old-secrets")
    def drop_old_secrets(self, request: Request, pk: str | None = None) -> Response:
        """Keep only the newest signing secret."""
        return Response({"removed": drop_old_secrets(rule_id=self.get_object().pk)})


class CanEmit(BasePermission):
    """Staff, or users allowed to add event history rows."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and (user.is_staff or user.has_perm("hub.add_eventhistory")))


def _check_finite(data: Any) -> None:
    """NaN/Infinity (``1e999`` parses as infinity) cannot be stored as JSON (PostgreSQL refuses
    them): a 400 naming the field, not a 500 from the database."""
    if not isinstance(data, dict):
        return
    errors = {
        key: [problem]
        for key, value in data.items()
        if (problem := non_finite_message(value, where=str(key)))
    }
    if errors:
        raise serializers.ValidationError(errors)


class EmitViewSet(viewsets.GenericViewSet):
    """``POST /api/emit/``: record a custom event; matching rules deliver it."""

    serializer_class = EmitSerializer
    permission_classes = (IsAuthenticated, CanEmit)
    filter_backends = ()
    pagination_class = None

    @extend_schema(
        responses={
            202: inline_serializer(
                "EmitAccepted",
                {"id": serializers.CharField(), "deliveries": serializers.IntegerField()},
            )
        }
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _check_finite(request.data)
        values = serializer.validated_data
        history = record_event(
            NewEvent(
                model=values["model"],
                event_code=values["event"],
                record_id=values.get("record_id"),
                data=values.get("data") or {},
                changes=values.get("changes"),
                user=values.get("user"),
                source="api",
            )
        )
        return Response(
            {"id": str(history.event_id), "deliveries": history.rules_triggered},
            status=status.HTTP_202_ACCEPTED,
        )


router.register("events", WebhookEventViewSet, basename="webhookevent")
router.register("rules", WebhookRuleViewSet, basename="webhookrule")
router.register("emit", EmitViewSet, basename="emit")
