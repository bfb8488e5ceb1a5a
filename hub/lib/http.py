"""The one outbound HTTP chokepoint: timeouts, no redirects, capped bodies, SSRF guard, outcomes.

Every request the hub makes to a user-configured URL goes through :func:`send`. It never raises
for transport problems: it returns an :class:`HttpResult` whose ``outcome`` is classified here,
once (success / retry / fail / gone), as docs/contract.md ("Outcomes and retries") states.

SSRF guard and DNS rebinding: the check runs inside the connection itself. A guarded urllib3
connection resolves the host once, refuses the connection if *any* resolved address is not
public, and then connects to exactly the addresses it checked; TLS still uses the host name
for SNI and certificate verification. A second resolution (the rebinding window) never happens.
Guarded and unguarded sessions are kept apart, so a pooled connection opened while private
targets were allowed is never reused once they are not. Environment proxies are ignored
(``trust_env = False``): through a proxy the guard could not see the real target.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from hub.lib.errors import friendly_error, with_detail

MAX_BODY_BYTES = 64 * 1024
DEFAULT_TIMEOUT = 15.0
_CHUNK = 16 * 1024

# Cloud metadata services; most are also link-local or private, listed so the error says why.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Outcome(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"  # transient: try again later
    FAIL = "fail"  # permanent: do not retry
    GONE = "gone"  # 410: permanent, and the target asked us to stop


# Deliberately not an OSError: urllib3 would wrap and retry those; a refusal is permanent.
class TargetRefused(Exception):
    """The target resolves to an address the SSRF guard refuses (permanent)."""


@dataclass
class HttpResult:
    outcome: Outcome
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    duration_ms: int = 0
    error: str = ""
    truncated: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def classify_status(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome.SUCCESS
    if status == 410:
        return Outcome.GONE
    if status in (408, 429) or status >= 500:
        return Outcome.RETRY
    return Outcome.FAIL  # other 4xx, 3xx (redirects are not followed) and 1xx


def refusal_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why the guard refuses this address, or None when it is a public address."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in _embedded_ipv4(ip):
            reason = refusal_reason(embedded)
            if reason:
                return f"{reason} ({embedded} inside it)"
        if ip.ipv4_mapped or ip in _NAT64:
            return None  # only a notation for the public IPv4 address inside it
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-global", not ip.is_global),  # e.g. 100.64.0.0/10 shared address space
    ):
        if flag:
            return f"{'an' if label[0] in 'aeiou' else 'a'} {label} address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries to: IPv4-mapped, NAT64, 6to4, Teredo.

    Each reaches (or is routed by a gateway to) the IPv4 inside it, so that one must be public
    too: 2002:7f00:1::1 is 6to4 for 127.0.0.1 although 2002::/16 itself counts as global.
    """
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def _lookup_name(host: str) -> str:
    """The name to resolve: one trailing dot dropped, so "127.0.0.1." and "localhost." are
    checked as what they mean (safe: the connection goes to exactly the addresses checked),
    and an IPv6 zone in its URL spelling (fe80::1%25eth0) as getaddrinfo spells it."""
    if ":" in host:
        return host.replace("%25", "%", 1)
    return host.removesuffix(".")


def resolve_public(host: str, port: int) -> list[tuple]:
    """getaddrinfo, refusing the whole host when any of its addresses is not public."""
    infos = socket.getaddrinfo(_lookup_name(host), port, type=socket.SOCK_STREAM)
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        reason = refusal_reason(ip)
        if reason:
            raise TargetRefused(
                f"refused target {host} -> {ip}: {reason} "
                "(set HUB_ALLOW_PRIVATE_TARGETS to allow private targets)"
            )
    return infos


# The mixin is only ever combined with urllib3's HTTPConnection: the type checker sees it as one.
if TYPE_CHECKING:
    _MixinBase = HTTPConnection
else:
    _MixinBase = object


class _GuardedMixin(_MixinBase):
    """urllib3 connection that connects only to the addresses the guard checked (no re-resolve)."""

    def _new_conn(self) -> socket.socket:
        try:
            infos = resolve_public(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        last: OSError | None = None
        for family, kind, proto, _name, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                for opt in self.socket_options or ():
                    sock.setsockopt(*opt)
                sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
                return sock
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeoutError(self, f"connect to {self.host} timed out") from exc
            except OSError as exc:
                sock.close()
                last = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")


class _GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


_local = threading.local()


def _session(guarded: bool) -> requests.Session:
    """One session per thread and guard mode: connection reuse without sharing across threads."""
    sessions: dict[bool, requests.Session] = _local.__dict__.setdefault("sessions", {})
    session = sessions.get(guarded)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        if guarded:
            adapter = _GuardedAdapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        sessions[guarded] = session
    return session


def user_agent() -> str:
    return f"webhook-hub/{settings.HUB_VERSION}"


def send(
    *,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> HttpResult:
    """Send one request; transport errors come back classified, never raised."""
    if allow_private is None:
        allow_private = settings.HUB_ALLOW_PRIVATE_TARGETS  # read per call: tests flip it
    all_headers = {"User-Agent": user_agent(), "Accept-Encoding": "identity", **(headers or {})}
    started = time.monotonic()
    try:
        response = _session(not allow_private).request(
            method,
            url,
            headers=all_headers,
            data=body or None,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
    except TargetRefused as exc:
        return HttpResult(Outcome.FAIL, error=str(exc), duration_ms=_ms(started))
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
        return HttpResult(Outcome.FAIL, error=f"invalid URL: {exc}", duration_ms=_ms(started))
    except requests.RequestException as exc:  # timeouts included: all transient
        # A one-line summary first (lists, messages), the library's text below it (detail page).
        summary = friendly_error(exc, url=url, timeout=timeout)
        return HttpResult(Outcome.RETRY, error=with_detail(summary, exc), duration_ms=_ms(started))
    with response:
        try:
            raw, truncated = _read_capped(response, deadline=started + timeout, max_bytes=max_bytes)
        except (requests.RequestException, OSError, TimeoutError) as exc:
            raw, truncated = b"", False
            summary = friendly_error(exc, url=url, timeout=timeout)
            error = with_detail(f"response body not read: {summary}", exc)
        else:
            error = ""
    return response_result(
        response.status_code,
        dict(response.headers),
        raw,
        duration_ms=_ms(started),
        error=error,
        truncated=truncated,
    )


def response_result(
    status: int,
    headers: dict[str, str],
    raw: bytes,
    *,
    duration_ms: int,
    error: str = "",
    truncated: bool = False,
) -> HttpResult:
    """The classified result of an answered request (shared by the sync and async clients)."""
    outcome = classify_status(status)
    if not error and 300 <= status < 400:
        location = next((v for k, v in headers.items() if k.lower() == "location"), "?")
        error = f"redirect to {location} not followed"
    elif not error and outcome is not Outcome.SUCCESS:
        error = f"HTTP {status}"
    return HttpResult(
        outcome,
        status=status,
        headers=headers,
        body=raw.decode("utf-8", errors="replace"),
        duration_ms=duration_ms,
        error=error,
        truncated=truncated,
    )


def _read_capped(
    response: requests.Response, *, deadline: float, max_bytes: int = MAX_BODY_BYTES
) -> tuple[bytes, bool]:
    """Read at most max_bytes (undecoded: no decompression bombs), within the deadline."""
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        if time.monotonic() > deadline:
            raise TimeoutError("response body not read before the timeout")
        chunk = response.raw.read(_CHUNK, decode_content=False)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    # Unread rest: closing the response drops this connection instead of draining it.
    return b"".join(chunks)[:max_bytes], True


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
