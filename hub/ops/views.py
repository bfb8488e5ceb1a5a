"""/healthz (liveness), /readyz (readiness) and /metrics (Prometheus text format).

None of them answers 500 (an orchestrator acts on these answers): a readiness check that
crashes is a 503, a metrics part that fails is reported as `hub_metrics_part_up 0`.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hub.ops import health
from hub.ops.access import Access, metrics_access

logger = logging.getLogger(__name__)


@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering; touches neither the database nor the broker."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_http_methods(["GET", "HEAD"])
def readyz(request: HttpRequest) -> HttpResponse:
    try:
        checks = health.readiness()
    except Exception:
        logger.exception("readiness check crashed")
        return JsonResponse({"status": "unavailable", "failing": ["readiness"]}, status=503)
    failing = [check.name for check in checks if not check.ok]
    body = {
        "status": "unavailable" if failing else "ok",
        "failing": failing,
        "checks": {
            check.name: check.detail or ("ok" if check.ok else "failed") for check in checks
        },
    }
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_http_methods(["GET"])
def metrics(request: HttpRequest) -> HttpResponse:
    access = metrics_access(request)
    if access is Access.UNAUTHENTICATED:
        response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if access is Access.FORBIDDEN:
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    # Imported here: prometheus-client is only loaded by the processes that get scraped.
    from hub.ops.metrics import render

    body, content_type = render(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
