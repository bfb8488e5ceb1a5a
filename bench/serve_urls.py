"""The product's URLs plus one bare view, the baseline of bench/bench_serve.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # like the inbound views: the baseline pays the same middleware, no more
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status": "ok"}', status=200, content_type="application/json")


urlpatterns = [path("bench/bare/", bare), path("", include("hub.urls"))]
