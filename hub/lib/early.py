"""What a response answered early (before sessions, CSRF, auth and messages) still gets.

``inbound.middleware`` and ``hub.api.middleware`` answer machine entry points right after
SecurityMiddleware (HTTPS redirect, HSTS, nosniff). Of the middleware they skip, two jobs matter
for an API answer, done here as Django does them: ``X-Frame-Options`` (XFrameOptionsMiddleware:
unless the response has one or is exempt) and ``Content-Length`` (CommonMiddleware: unless
streaming or already set). The Host check is ``request.get_host()``, called by each middleware
before its view runs.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


def finish(response: HttpResponse) -> HttpResponse:
    if response.get("X-Frame-Options") is None and not getattr(
        response, "xframe_options_exempt", False
    ):
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS.upper()
    if not response.streaming and not response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response
