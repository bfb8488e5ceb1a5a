"""GET /api/trace/: the per-record trace (dashboard/trace.py) as JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.trace import MAX_LIMIT, TraceError, parse_query, trace_record
from dashboard.views import can_trace
from hub.api.routers import router


class CanTrace(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and can_trace(request.user))


PARAMETERS = [
    OpenApiParameter("model", str, required=True, description="Odoo model, e.g. sale.order"),
    OpenApiParameter("record_id", int, required=True, description="The record's id"),
    OpenApiParameter("connection", int, description="Only what this connection saw"),
    OpenApiParameter("source", str, description="Only this source (inbound slug, 'api', ...)"),
    OpenApiParameter("limit", int, description=f"Latest events shown (1..{MAX_LIMIT}, 100)"),
]


class TraceViewSet(viewsets.ViewSet):
    """Why did a record's change reach an endpoint, or not: its events in time order, every
    rule on the model re-evaluated (matched, or why not), every delivery with its attempts."""

    permission_classes = [CanTrace]

    @extend_schema(parameters=PARAMETERS, responses={200: OpenApiTypes.OBJECT, 400: dict})
    def list(self, request: Request) -> Response:
        try:
            query = parse_query(request.query_params)
        except TraceError as exc:
            return Response({"detail": str(exc)}, status=400)
        return Response(trace_record(query))


router.register("trace", TraceViewSet, basename="trace")
