"""Dashboard entry points: the staff page and its JSON (thin: parse, look up, call a selector)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.schema import PARAMETERS, DashboardDataSerializer
from dashboard.selectors import (
    DEFAULT_DAYS,
    MAX_DAYS,
    ParamError,
    admin_url,
    check_rule,
    dashboard_data,
    filter_choices,
    parse_params,
)
from dashboard.trace import DEFAULT_LIMIT, TraceError, parse_query, trace_record
from hub.api.authentication import TokenAuthentication
from hub.models import OdooConnection


class DashboardDataView(APIView):
    """GET /webhook/dashboard/data: a staff user's session or `Authorization: Token <key>`."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="dashboard_data",
        parameters=PARAMETERS,
        responses={200: DashboardDataSerializer, 400: dict[str, str]},
    )
    def get(self, request: Request) -> Response:
        try:
            params = parse_params(request.query_params)
            check_rule(params)
        except ParamError as exc:
            return Response(exc.errors, status=400)
        return Response(dashboard_data(params=params))


@staff_member_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The charts page; it fetches its numbers from the JSON endpoint."""
    context = {
        **admin.site.each_context(request),
        "title": "Webhook dashboard",
        "data_url": reverse("dashboard:data"),
        "day_choices": [1, 7, 14, 30, MAX_DAYS],
        "default_days": DEFAULT_DAYS,
        "choices": filter_choices(),
        "links": {
            "logs": admin_url("admin:delivery_webhooklog_changelist"),
            "retries": admin_url("admin:delivery_webhookretry_changelist"),
            "incoming": admin_url("admin:inbound_incomingwebhook_changelist"),
            "lanes": admin_url("admin:delivery_lane_changelist"),
        },
    }
    return render(request, "dashboard/index.html", context)


def can_trace(user: Any) -> bool:
    """The trace shows events and deliveries: both view permissions are needed."""
    return all(user.has_perm(p) for p in ("hub.view_eventhistory", "delivery.view_webhooklog"))


@staff_member_required
def trace_page(request: HttpRequest) -> HttpResponse:
    """The per-record trace (dashboard/trace.py) as an admin page."""
    if not can_trace(request.user):
        raise PermissionDenied
    trace, error, query = None, "", None
    if request.GET.get("model") or request.GET.get("record_id"):
        try:
            query = parse_query(request.GET)
            trace = trace_record(query)
        except TraceError as exc:
            error = str(exc)
    context = {
        **admin.site.each_context(request),
        "title": "Record trace",
        "params": request.GET,
        "connections": OdooConnection.objects.order_by("name"),
        "trace": trace,
        "error": error,
        "limit": query.limit if query else DEFAULT_LIMIT,
        "api_url": "/api/trace/",
    }
    return render(request, "dashboard/trace.html", context)
