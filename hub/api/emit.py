"""``POST /api/emit/``: the API entry point of the outbound flow, next to hub.events."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hub.api.routers import router
from hub.events import NewEvent, accept_event
from hub.lib.json import non_finite_message
from rules.ruleset import RuleSet, active_rules, version_subquery
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


class JSONUnlessAsked(DefaultContentNegotiation):
    """DRF's negotiation, minus parsing the ``Accept`` header of the usual emit: a sender that
    accepts anything (no header, ``*/*``) or JSON gets the first renderer (JSON), as DRF's
    own would answer it; any other header, ``?format=`` or suffix goes through DRF's."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        fmt = self.settings.URL_FORMAT_OVERRIDE
        renderers = list(renderers)
        if (
            accept in PLAIN_ACCEPT
            and format_suffix is None
            and not (fmt and fmt in request.GET)
            and renderers[0].media_type == "application/json"
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


PLAIN_ACCEPT = frozenset({"*/*", "application/json", ""})


def _rules_for(request: Request) -> RuleSet:
    extra = getattr(request.auth, "extra", ())
    return active_rules(version=extra[0]) if extra else active_rules()


class EmitViewSet(viewsets.GenericViewSet):
    """``POST /api/emit/``: record a custom event; matching rules deliver it."""

    serializer_class = EmitSerializer
    permission_classes = (IsAuthenticated, CanEmit)
    filter_backends = ()
    pagination_class = None
    content_negotiation_class = JSONUnlessAsked

    @staticmethod
    def token_extra() -> tuple[str, ...]:
        """Read with the token (hub.api.authentication): the rules' version token, so one
        statement serves the authentication and the rule set (rules.ruleset)."""
        return (version_subquery(),)

    @extend_schema(
        responses={
            202: inline_serializer(
                "EmitAccepted",
                {"id": serializers.CharField(), "deliveries": serializers.IntegerField()},
            )
        }
    )
    def create(self, request: Request) -> HttpResponse:
        # One read of the rules' version serves the event code check and the matching.
        ruleset = _rules_for(request)
        values = plain_emit_values(request.data, ruleset)
        if values is None:  # anything but the plainest valid emit: the serializer decides
            context = {**self.get_serializer_context(), "ruleset": ruleset}
            serializer = self.get_serializer(data=request.data, context=context)
            serializer.is_valid(raise_exception=True)
            values = serializer.validated_data
        _check_finite(request.data)
        # Stored and answered; its deliveries are planned a few milliseconds later in a
        # worker (hub.unplanned), unless it matches a sync rule (sent before the answer).
        accepted = accept_event(
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
        body = {"id": str(accepted.event_id), "deliveries": accepted.deliveries}
        if (
            type(request.accepted_renderer) is JSONRenderer
            and request.accepted_media_type == "application/json"
        ):
            # The bytes DRF's JSONRenderer writes for this body (compact, no parameters), without
            # its template response and render step; dispatch still adds Allow and Vary.
            return HttpResponse(
                json.dumps(body, separators=(",", ":")),
                status=status.HTTP_202_ACCEPTED,
                content_type="application/json",
            )
        return Response(body, status=status.HTTP_202_ACCEPTED)


router.register("emit", EmitViewSet, basename="emit")
