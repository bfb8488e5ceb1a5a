"""The two inbound URLs. CSRF does not apply to them (machines post); nothing else is exempt."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from inbound.services import Received, receive


def _client_ip(value: object) -> str | None:
    # REMOTE_ADDR is empty or odd behind some servers (unix sockets); the column is an inet.
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None


def _answer(request: HttpRequest, slug: str | None) -> JsonResponse:
    answer = receive(
        Received(
            slug=slug,
            method=request.method or "",
            headers=request.headers,
            meta=request.META,
            read=request.read,
            remote_addr=_client_ip(request.META.get("REMOTE_ADDR")),
        )
    )
    response = JsonResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


@csrf_exempt
def incoming(request: HttpRequest, slug: str) -> JsonResponse:
    """POST /webhook/incoming/<slug>/ — one URL per source."""
    return _answer(request, slug)


@csrf_exempt
def incoming_generic(request: HttpRequest) -> JsonResponse:
    """POST /webhook/incoming — the source named by X-Webhook-Source or ?source=."""
    return _answer(request, request.headers.get("X-Webhook-Source") or request.GET.get("source"))
