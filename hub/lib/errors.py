"""One-line, human wording for transport failures (the library's own text stays as the detail)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError

_MAX_CHAIN = 12  # exception chains are short; the bound only guards against odd cycles
# requests', urllib3's and aiohttp's names for "could not connect in time" (by name: this module
# serves the sync and the async client without importing either).
_CONNECT_TIMEOUTS = {"ConnectTimeout", "ConnectTimeoutError", "ConnectionTimeoutError"}


def summary_line(error: str) -> str:
    """The first line of a stored error: the friendly summary, without the raw detail below it."""
    return error.split("\n", 1)[0]


def with_detail(summary: str, exc: BaseException | str) -> str:
    """The summary, then the library's text on the next line (shown in full on the log page)."""
    return f"{summary}\n{exc}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: causes, contexts, urllib3 `reason`s, exception args."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < _MAX_CHAIN:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        inner += [arg for arg in current.args if isinstance(arg, BaseException)]
        todo += [e for e in inner if isinstance(e, BaseException)]


def _where(url: str) -> tuple[str, str]:
    """(host, host:port) of a URL, the port spelled out even when it is the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return host, host
    shown = f"[{host}]" if ":" in host else host
    return host, f"{shown}:{port}"


def friendly_error(exc: BaseException, *, url: str, timeout: float) -> str:
    """One line saying what went wrong, e.g. "connection refused by 127.0.0.1:9"."""
    host, where = _where(url)
    chain = list(_chain(exc))
    text = " ".join(str(e) for e in chain)
    if any(type(e).__name__ in _CONNECT_TIMEOUTS for e in chain):
        return f"timeout after {timeout:g} s connecting to {where}"
    if any(isinstance(e, requests.Timeout | TimeoutError) for e in chain):
        return f"timeout after {timeout:g} s waiting for {where} to answer"
    if any(isinstance(e, NameResolutionError | socket.gaierror) for e in chain):
        return f"DNS lookup failed for {host}"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return f"connection refused by {where}"
    if any(isinstance(e, ConnectionResetError) for e in chain) or "Connection reset" in text:
        return f"connection reset by {where}"
    if any(isinstance(e, ssl.SSLError | requests.exceptions.SSLError) for e in chain):
        reason = "certificate not trusted" if "CERTIFICATE_VERIFY_FAILED" in text else "failed"
        return f"TLS handshake with {host}: {reason}"
    if any(words in text for words in ("Remote end closed", "Server disconnected")):
        return f"{where} closed the connection without answering"
    if any(isinstance(e, requests.exceptions.ChunkedEncodingError) for e in chain):
        return f"{where} broke off the response"
    return f"connection to {where} failed ({type(chain[-1]).__name__})"
