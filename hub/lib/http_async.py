"""The asyncio side of the outbound HTTP chokepoint (aiohttp), for the concurrent lane sender.

Same rules as :mod:`hub.lib.http`, whose address check and outcome classification it reuses:
timeouts always, redirects never followed, ``Accept-Encoding: identity`` and a body read raw and
capped at 64 KiB, environment proxies ignored, transport errors classified, never raised.

SSRF guard without a DNS-rebinding window: guarded sessions use :class:`GuardedResolver`, which
resolves, refuses the host when any address is not public, and hands aiohttp exactly the
addresses it checked; aiohttp connects to those (TLS still verifies the host name), it never
resolves again. Guarded and unguarded sessions never share pooled connections.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time

import aiohttp
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from django.conf import settings

from hub.lib.errors import friendly_error, with_detail
from hub.lib.http import (
    DEFAULT_TIMEOUT,
    MAX_BODY_BYTES,
    HttpResult,
    Outcome,
    TargetRefused,
    resolve_public,
    response_result,
    user_agent,
)

_CHUNK = 16 * 1024
POOL_LIMIT = 500  # connections per session; the lanes bound what is in flight per endpoint


class GuardedResolver(AbstractResolver):
    """Resolve with the SSRF guard's check; aiohttp connects to exactly these addresses."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        # resolve_public blocks (getaddrinfo): off the event loop, like aiohttp's own resolver.
        infos = await loop.run_in_executor(None, resolve_public, host, port)
        return [
            ResolveResult(
                hostname=host,
                host=sockaddr[0],
                port=sockaddr[1],
                family=fam,
                proto=proto,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for fam, _kind, proto, _name, sockaddr in infos
        ]

    async def close(self) -> None:
        pass


class Client:
    """Two aiohttp sessions (guarded, unguarded) bound to the running event loop."""

    def __init__(self) -> None:
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def _session(self, guarded: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(guarded)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=POOL_LIMIT,
                resolver=GuardedResolver() if guarded else None,
                # The guard resolves per connection; a cached answer was checked when cached.
                ttl_dns_cache=10,
            )
            session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, trust_env=False
            )
            self._sessions[guarded] = session
        return session

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()

    async def send(
        self,
        *,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        allow_private: bool | None = None,
    ) -> HttpResult:
        """Send one request; transport errors come back classified, never raised."""
        if allow_private is None:
            allow_private = settings.HUB_ALLOW_PRIVATE_TARGETS
        all_headers = {"User-Agent": user_agent(), "Accept-Encoding": "identity", **(headers or {})}
        started = time.monotonic()
        try:
            if not allow_private:
                _check_literal(url)
            return await self._request(
                self._session(not allow_private), method, url, all_headers, body, timeout, started
            )
        except TargetRefused as exc:
            return HttpResult(Outcome.FAIL, error=str(exc), duration_ms=_ms(started))
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError, ValueError) as exc:
            return HttpResult(Outcome.FAIL, error=f"invalid URL: {exc}", duration_ms=_ms(started))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:  # all transient
            # A one-line summary first (lists, messages), the library's text below it (detail).
            summary = friendly_error(exc, url=url, timeout=timeout)
            error = with_detail(summary, exc or type(exc).__name__)
            return HttpResult(Outcome.RETRY, error=error, duration_ms=_ms(started))

    async def _request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: float,
        started: float,
    ) -> HttpResult:
        limits = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        async with session.request(
            method,
            url,
            headers=headers,
            data=body or None,
            allow_redirects=False,
            timeout=limits,
        ) as response:
            error = ""
            try:
                async with asyncio.timeout_at(_loop_deadline(started + timeout)):
                    raw, truncated = await _read_capped(response)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raw, truncated = b"", False
                summary = friendly_error(exc, url=url, timeout=timeout)
                error = with_detail(f"response body not read: {summary}", exc or type(exc).__name__)
            if truncated:
                response.close()  # unread rest: drop this connection instead of draining it
            return response_result(
                response.status,
                dict(response.headers),
                raw,
                duration_ms=_ms(started),
                error=error,
                truncated=truncated,
            )


def _check_literal(url: str) -> None:
    """aiohttp never calls the resolver for an IP-literal host: check those addresses here."""
    parsed = yarl.URL(url)
    host = parsed.raw_host or ""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return  # a name: GuardedResolver checks it
    resolve_public(host, parsed.port or 0)


async def _read_capped(response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        chunk = await response.content.read(_CHUNK)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:MAX_BODY_BYTES], True


def _loop_deadline(monotonic_deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
