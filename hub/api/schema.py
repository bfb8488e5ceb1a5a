"""The OpenAPI schema view: YAML shown as text to a browser, OpenAPI media types to API clients."""

from __future__ import annotations

from typing import Any

from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class PlainTextYamlRenderer(OpenApiYamlRenderer):
    """The same YAML as text/plain, which a browser displays instead of downloading."""

    media_type = "text/plain"
    format = "yaml"


def wants_html(request: Request) -> bool:
    """A browser navigating to the URL (its Accept header names text/html)."""
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


class SchemaView(SpectacularAPIView):
    """GET /api/schema/: content negotiation as drf-spectacular, except for browsers."""

    renderer_classes = [*SpectacularAPIView.renderer_classes, PlainTextYamlRenderer]

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, Any]:
        if wants_html(request) and not request.query_params.get("format"):
            return PlainTextYamlRenderer(), "text/plain"
        return super().perform_content_negotiation(request, force=force)
