"""``POST /api/emit/``: the API entry point of the outbound flow, next to hub.events."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api.routers import router
from hub.events import NewEvent, accept_event
from hub.lib.json import non_finite_message
from rules.ruleset import active_rules
from rules.serializers import EmitSerializer, plain_emit_values


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
        # One read of the rules' version serves the event code check and the matching.
        ruleset = active_rules()
        values = plain_emit_values(request.data, ruleset)
        if values is None:  # anything but the plainest valid emit: the serializer decides
            context = {**self.get_serializer_context(), "ruleset": ruleset}
            serializer = self.get_serializer(data=request.data, context=context)
            serializer.is_valid(raise_exception=True)
            values = serializer.validated_data
        _check_finite(request.data)
        # Stored and answered; its deliveries are planned a few milliseconds later in a
        # worker (hub.unplanned), unless it matches a sync rule (sent before the answer).
        history = accept_event(
            NewEvent(
                model=values["model"],
                event_code=values["event"],
                record_id=values.get("record_id"),
                data=values.get("data") or {},
                changes=values.get("changes"),
                user=values.get("user"),
                source="api",
            ),
            ruleset=ruleset,
        )
        return Response(
            {"id": str(history.event_id), "deliveries": history.rules_triggered},
            status=status.HTTP_202_ACCEPTED,
        )


router.register("emit", EmitViewSet, basename="emit")
