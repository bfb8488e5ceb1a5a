"""API endpoints of this app (registered on hub.api.routers.router): sources and incoming."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api.routers import router
from inbound.models import InboundSource, IncomingWebhook
from inbound.processing import reprocess
from inbound.source_checks import validate_source


class SourceSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Secret(s), several separated by whitespace while rotating. Generated when "
        "omitted (hmac, standard, github, basic, api_key, bearer) and then returned once.",
    )
    has_secret = serializers.SerializerMethodField()
    handler_config = serializers.JSONField(required=False)
    url = serializers.CharField(read_only=True, help_text="The full inbound URL for the sender.")

    class Meta:
        model = InboundSource
        fields = [
            "id", "slug", "name", "verification", "secret", "has_secret", "api_key_header",
            "idempotency_path", "tolerance_seconds", "rate_limit_per_minute", "handler",
            "handler_config", "connection", "active", "url", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"slug": {"required": False}}

    def get_has_secret(self, obj: InboundSource) -> bool:
        return bool(obj.secret)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Checked on a copy, with the model's own rules (the admin uses the same ones).
        candidate = copy.copy(self.instance) if self.instance else InboundSource()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        had_secret = bool(candidate.secret)
        try:
            validate_source(candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        if candidate.secret and not had_secret:
            attrs["secret"] = candidate.secret
            self.context["generated_secret"] = candidate.secret
        if "handler_config" in attrs:
            attrs["handler_config"] = candidate.handler_config
        return attrs

    def to_representation(self, instance: InboundSource) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("generated_secret"):
            data["secret"] = self.context["generated_secret"]  # shown once, on the response
        return data


class IncomingSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncomingWebhook
        fields = [
            "id", "source", "received_at", "remote_addr", "headers", "body", "body_truncated",
            "idempotency_key", "verification_status", "state", "response_status", "result",
            "error", "attempts", "next_retry_at", "processed_at", "duplicate_of",
        ]  # fmt: skip
        read_only_fields = fields


class CanReprocess(BasePermission):
    """Reprocessing changes the request's state: it needs the change permission."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("inbound.change_incomingwebhook"))


class SourceViewSet(viewsets.ModelViewSet):
    queryset = InboundSource.objects.select_related("connection").order_by("name", "id")
    serializer_class = SourceSerializer
    filterset_fields = ["verification", "handler", "active", "connection"]
    ordering_fields = ["name", "created_at"]


class IncomingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = IncomingWebhook.objects.order_by("-received_at", "-id")
    serializer_class = IncomingSerializer
    filterset_fields = ["source", "state", "verification_status", "idempotency_key"]
    ordering_fields = ["received_at", "id"]

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "Reprocessed", {"id": serializers.CharField(), "status": serializers.CharField()}
            ),
            409: OpenApiResponse(description="Rejected, duplicate or in-progress requests."),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, CanReprocess])
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        incoming = self.get_object()
        if not reprocess(incoming_id=incoming.pk):
            return Response(
                {"detail": f"a {incoming.state} request cannot be reprocessed"},
                status=status.HTTP_409_CONFLICT,
            )
        incoming.refresh_from_db(fields=["state"])
        return Response(
            {"id": str(incoming.pk), "status": incoming.state}, status=status.HTTP_202_ACCEPTED
        )


router.register("sources", SourceViewSet, basename="source")
router.register("incoming", IncomingViewSet, basename="incoming")
