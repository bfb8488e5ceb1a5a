"""Who may read /metrics: a bearer token (HUB_METRICS_TOKEN) or an allowed client address."""

from __future__ import annotations

import hmac
import ipaddress
from enum import Enum
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


class Access(Enum):
    ALLOWED = "allowed"
    UNAUTHENTICATED = "unauthenticated"  # 401: a token is configured, none or a wrong one given
    FORBIDDEN = "forbidden"  # 403: no token configured and the address is not allowed


@lru_cache(maxsize=8)
def allowed_networks(entries: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    """HUB_METRICS_ALLOW entries (addresses or CIDR networks), parsed once."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"HUB_METRICS_ALLOW: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def address_allowed(remote_addr: str) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    networks = allowed_networks(tuple(settings.HUB_METRICS_ALLOW))
    return any(address in network for network in networks)


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def proxied(request: HttpRequest) -> bool:
    """The request came through a reverse proxy: its address is the proxy's, not the client's.

    A proxy on the same host makes every request arrive from 127.0.0.1, so the address
    allow-list only applies to direct requests; through a proxy only the token opens /metrics.
    """
    return any(request.headers.get(name) for name in PROXY_HEADERS)


def metrics_access(request: HttpRequest) -> Access:
    expected = settings.HUB_METRICS_TOKEN
    given = bearer_token(request)
    if expected and given and hmac.compare_digest(given.encode(), expected.encode()):
        return Access.ALLOWED
    if not proxied(request) and address_allowed(request.META.get("REMOTE_ADDR", "")):
        return Access.ALLOWED
    return Access.UNAUTHENTICATED if expected else Access.FORBIDDEN
