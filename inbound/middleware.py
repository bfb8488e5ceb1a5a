"""Answers the two inbound webhook URLs before the session, CSRF, auth and messages middleware.

Machines post there: the views are csrf_exempt, read no session, cookie or user and render no
page, yet every request paid the whole stack and the URL resolver (a third of a bare Django
request's CPU, bench/profile_intake.py). Placed right after SecurityMiddleware, so the HTTPS
redirect and its headers (nosniff, HSTS, referrer policy) still apply; what the skipped
middleware did that matters for an API answer is done here: the Host check (CommonMiddleware),
``X-Frame-Options`` (clickjacking) and ``Content-Length`` (hub.lib.early). Any other path, or a
path under /webhook/incoming/ that is not one of the two URLs, goes through the full stack
unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hub.lib import early
from inbound import views

# The same paths as inbound/urls.py under /webhook/ (hub/urls.py): the generic URL with or
# without its slash, and one source's URL (a Django `slug`) with or without its slash.
_PATH = re.compile(r"/webhook/incoming(?:/(?P<slug>[-a-zA-Z0-9_]+))?/?")


def _dispatch(request: HttpRequest) -> HttpResponse | None:
    match = _PATH.fullmatch(request.path_info)
    if match is None:
        return None
    request.get_host()  # DisallowedHost (400) outside ALLOWED_HOSTS, as CommonMiddleware does
    slug = match["slug"]
    if slug is None:
        response = views.incoming_generic(request)
    else:
        response = views.incoming(request, slug)
    return early.finish(response)


class InboundMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = _dispatch(request)
        return self.get_response(request) if response is None else response
