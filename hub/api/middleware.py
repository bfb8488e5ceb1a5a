"""Answers a token-authenticated ``POST /api/emit/`` before sessions, CSRF, auth and messages.

Odoo and other machines call emit once per record with ``Authorization: Token ...``: DRF's
view is csrf_exempt, the token decides who is asking (``TokenAuthentication`` comes first and
never falls back to the session when the header names a token), and nothing on that path reads
the session, the lazy ``request.user`` or messages; yet each emit paid the whole stack and the
URL resolver. Placed right after SecurityMiddleware (and the inbound one, the same pattern), so
the HTTPS redirect and its headers still apply; what the skipped middleware did that matters
for an API answer is done here: the Host check (CommonMiddleware), ``X-Frame-Options`` and
``Content-Length`` (hub.lib.early), and rendering the DRF response. The view is the router's
own (resolved once), so authentication, permissions and every answer (202, 400, 401, 403,
415) are DRF's as before. Anything else - another path or method, no token header, a request
carrying a session cookie (a browser: it keeps exactly the old behaviour) - goes through the
full stack unchanged.

It also skips Django's per-request health-check ``SELECT 1`` (``CONN_HEALTH_CHECKS``) when this
thread's connection served a request without a database error less than
``HEALTH_CHECK_QUIET`` seconds ago: under a stream of emits that round trip was paid every
time. After a quiet second the check runs as before; if the database restarted within that
second, at most one request per connection fails (Django closes a connection that saw an error
at the end of that request, and the next request reconnects) - never every request after it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, get_resolver

from hub.lib import early

PATH = "/api/emit/"
HEALTH_CHECK_QUIET = 1.0  # seconds

_resolved: dict[str, ResolverMatch | None] = {}
_local = threading.local()


def _match() -> ResolverMatch | None:
    """The router's match for PATH under the current URLconf (cached per URLconf)."""
    urlconf = settings.ROOT_URLCONF
    if urlconf not in _resolved:
        try:
            _resolved[urlconf] = get_resolver(urlconf).resolve(PATH)
        except Resolver404:
            _resolved[urlconf] = None
    return _resolved[urlconf]


def _is_token_emit(request: HttpRequest) -> bool:
    if request.method != "POST" or request.path_info != PATH:
        return False
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    # DRF's TokenAuthentication compares its keyword case-insensitively. CommonMiddleware's
    # other duties (a www. redirect, refused user agents) are off here; if set, it does them.
    return (
        auth[:6].lower() == "token "
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not settings.PREPEND_WWW
        and not settings.DISALLOWED_USER_AGENTS
    )


def _skip_recent_health_check() -> Any:
    conn: Any = connections[DEFAULT_DB_ALIAS]  # django-stubs lack the health-check fields
    if (
        conn.health_check_enabled
        and conn.connection is not None
        and not conn.errors_occurred
        and time.monotonic() - getattr(_local, "ok_at", -HEALTH_CHECK_QUIET) < HEALTH_CHECK_QUIET
    ):
        conn.health_check_done = True
    return conn


class ApiTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_token_emit(request):
            return self.get_response(request)
        match = _match()
        if match is None:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) outside ALLOWED_HOSTS, as CommonMiddleware does
        request.resolver_match = match
        conn = _skip_recent_health_check()
        response = match.func(request, *match.args, **match.kwargs)
        response = response.render() if hasattr(response, "render") else response
        if response.status_code < 500 and conn.connection is not None and not conn.errors_occurred:
            _local.ok_at = time.monotonic()
        return early.finish(response)
