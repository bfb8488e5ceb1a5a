"""Reading a request safely: a bounded body read and headers fit for storage (secrets redacted)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import IO

from hub.lib.nul import scrub_nul

MAX_HEADERS = 60
MAX_HEADER_VALUE = 1024
REDACTED = "[redacted]"
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"}
)
# A signature is not a secret, but it lets anyone who reads it replay the body where the scheme
# has no timestamp (GitHub, Shopify): keep only enough to recognise its format.
SIGNATURE_HEADERS = frozenset(
    {
        "x-webhook-signature",
        "webhook-signature",
        "x-hub-signature",
        "x-hub-signature-256",
        "stripe-signature",
        "x-shopify-hmac-sha256",
    }
)


class TooLarge(Exception):
    """The body is over the limit; it was not (fully) read."""


def declared_length(meta: Mapping[str, str]) -> int | None:
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def read_limited(meta: Mapping[str, object], read: Callable[[int], bytes], limit: int) -> bytes:
    """At most ``limit`` bytes of the body; TooLarge before reading when the length says so.

    With a Content-Length, Django's stream is bounded by it. Without one (chunked), only a
    server that de-chunks and marks ``wsgi.input_terminated`` (gunicorn, uWSGI) gives a body:
    it is read from the raw input, at most limit+1 bytes, so a huge chunked body is cut off.
    """
    length = declared_length(meta)  # type: ignore[arg-type]
    if length is not None and length > limit:
        raise TooLarge(f"Content-Length {length} > {limit}")
    if length is None and meta.get("wsgi.input_terminated"):
        stream: IO[bytes] = meta["wsgi.input"]  # type: ignore[assignment]
        read = stream.read
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise TooLarge(f"body over {limit} bytes")
    return b"".join(chunks)


def storable_headers(headers: Mapping[str, str], *, extra_secret: str = "") -> dict[str, str]:
    """Headers as stored on the request row: bounded in number and size, credentials redacted."""
    secret_names = CREDENTIAL_HEADERS | ({extra_secret.lower()} if extra_secret else set())
    out: dict[str, str] = {}
    for name, raw in list(headers.items())[:MAX_HEADERS]:
        value = scrub_nul(raw)
        lowered = name.lower()
        if lowered in secret_names:
            scheme = value.split(" ", 1)[0] if lowered.endswith("authorization") else ""
            out[name] = f"{scheme} {REDACTED}".strip() if " " in value else REDACTED
        elif lowered in SIGNATURE_HEADERS:
            out[name] = value[:16] + "…" if len(value) > 16 else value
        else:
            out[name] = value[:MAX_HEADER_VALUE]
    return out


def body_text(body: bytes, limit: int | None = None) -> tuple[str, bool]:
    """The body as text for storage (a prefix of ``limit`` bytes) and whether it was cut."""
    cut = limit is not None and len(body) > limit
    part = body[:limit] if cut else body
    return scrub_nul(part.decode("utf-8", errors="replace")), cut
