"""API endpoints of this app (registered on hub.api.routers.router): events and rules.

`POST /api/emit/` lives with hub.events (hub/api/emit.py) and `POST /api/rules/<id>/test/` with
delivery (delivery/api.py): rules imports neither."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api.routers import router
from rules.models import WebhookEvent, WebhookRule
from rules.serializers import WebhookEventSerializer, WebhookRuleSerializer
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


router.register("events", WebhookEventViewSet, basename="webhookevent")
router.register("rules", WebhookRuleViewSet, basename="webhookrule")
