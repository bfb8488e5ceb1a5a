"""Save-time checks shared by the model (admin) and the API: each message says what is wrong."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from hub.crypto import split_secrets
from hub.lib.signing import signing_key

MODEL_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
EVENT_CODE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")
FIELD_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token
LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"
HOST_RE = re.compile(rf"^{LABEL}(\.{LABEL})*\.?$")
# Set by the hub on every delivery; a custom value would break signatures or the transport.
RESERVED_HEADERS = frozenset(
    {
        "content-length", "host", "transfer-encoding", "connection", "webhook-id",
        "webhook-timestamp", "webhook-signature", "x-webhook-id", "x-webhook-timestamp",
        "x-webhook-signature", "x-webhook-event",
    }
)  # fmt: skip
MAX_SECRETS = 10
# Custom headers: most servers refuse a header line over 8 KiB or all headers over 32 KiB (431).
MAX_HEADERS = 50
MAX_HEADER_NAME = 256
MAX_HEADER_VALUE = 8 * 1024
MAX_HEADERS_TOTAL = 32 * 1024


def validate_odoo_model(value: str) -> None:
    if not MODEL_RE.match(value or ""):
        raise ValidationError(
            f"{value!r} is not an Odoo model name; use lower-case dotted names such as sale.order.",
            code="invalid_model",
        )


def validate_event_code(value: str) -> None:
    if not EVENT_CODE_RE.match(value or ""):
        raise ValidationError(
            f"{value!r} is not a valid event code: use letters, digits, '_', '.', ':' or '-' "
            "(e.g. sale.order.confirmed).",
            code="invalid_code",
        )


def validate_target_url(value: str) -> None:
    """An absolute http(s) URL with a host; credentials belong in the auth fields."""
    if not value or any(c.isspace() for c in value):
        raise ValidationError("Enter a URL without spaces, e.g. https://example.com/hook.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError as exc:
        raise ValidationError(f"Enter a valid URL: {exc}.", code="invalid_url") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(
            "The URL must start with http:// or https://.", code="invalid_url_scheme"
        )
    host = parts.hostname or ""
    if not host:
        raise ValidationError("The URL has no host name.", code="invalid_url")
    if parts.username or parts.password:
        raise ValidationError(
            "Do not put credentials in the URL: use the authentication fields.",
            code="invalid_url",
        )
    if ":" not in host and not HOST_RE.match(_ascii_host(host)):
        raise ValidationError(f"{host!r} is not a valid host name.", code="invalid_url")


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def validate_field_names(value: object) -> None:
    """trigger_fields: a list of top-level Odoo field names."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(
            'Expected a list of field names, e.g. ["state", "amount_total"].',
            code="invalid_field_list",
        )
    bad = [v for v in value if not FIELD_NAME_RE.match(v)]
    if bad:
        raise ValidationError(
            f"Not field names: {', '.join(map(repr, bad))} (top-level names such as 'state'; "
            "changes are reported per field).",
            code="invalid_field_list",
        )


def validate_headers(value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(
            'Expected an object of header names to string values, e.g. {"X-Tenant": "acme"}.',
            code="invalid_headers",
        )
    validate_header_limits(value)
    for name, text in value.items():
        if not HEADER_NAME_RE.match(name):
            raise ValidationError(f"Invalid header name {name!r}.", code="invalid_headers")
        if any(c in text for c in "\r\n\0"):
            raise ValidationError(
                f"The value of header {name!r} contains a line break.", code="invalid_headers"
            )
        if name.lower() in RESERVED_HEADERS:
            raise ValidationError(
                f"Header {name!r} is set by the hub on every delivery and cannot be overridden.",
                code="reserved_header",
            )


def validate_header_limits(value: dict[str, str]) -> None:
    """Count and size limits: receivers refuse oversized headers (431), so every send would fail."""
    if len(value) > MAX_HEADERS:
        raise ValidationError(
            f"{len(value)} custom headers: at most {MAX_HEADERS} are allowed.",
            code="too_many_headers",
        )
    total = 0
    for name, text in value.items():
        if len(name) > MAX_HEADER_NAME:
            raise ValidationError(
                f"Header name {name[:40]!r}... is {len(name)} characters long: at most "
                f"{MAX_HEADER_NAME} are allowed.",
                code="header_too_long",
            )
        size = len(text.encode())
        if size > MAX_HEADER_VALUE:
            raise ValidationError(
                f"The value of header {name!r} is {size:,} bytes: at most {MAX_HEADER_VALUE:,} "
                "(8 KiB) are allowed.",
                code="header_too_long",
            )
        total += len(name) + size
    if total > MAX_HEADERS_TOTAL:
        raise ValidationError(
            f"The custom headers add up to {total:,} bytes: at most {MAX_HEADERS_TOTAL:,} (32 KiB) "
            "are allowed.",
            code="headers_too_large",
        )


def validate_header_name(value: str) -> None:
    if value and not HEADER_NAME_RE.match(value):
        raise ValidationError(f"Invalid header name {value!r}.", code="invalid_header_name")


def validate_secrets(value: str) -> None:
    """One or more whsec_ secrets (several while rotating), separated by spaces or new lines."""
    secrets = split_secrets(value or "")
    if not secrets:
        raise ValidationError("A signing secret is required.", code="required")
    if len(secrets) > MAX_SECRETS:
        raise ValidationError(f"At most {MAX_SECRETS} secrets may be active at once.")
    for position, secret in enumerate(secrets, start=1):
        # Never echo the secret itself: messages end up in responses and logs.
        if not _valid_secret(secret):
            raise ValidationError(
                f"Secret {position} is not a valid signing secret: expected whsec_ followed by "
                "the base64 of 24 to 64 random bytes.",
                code="invalid_secret",
            )


def _valid_secret(secret: str) -> bool:
    # Outbound secrets always carry the whsec_ prefix and a key of a sensible length.
    key = signing_key(secret) if secret.startswith("whsec_") else None
    return key is not None and 24 <= len(key) <= 64


def validate_source_path(value: str) -> None:
    if value and not PATH_RE.match(value):
        raise ValidationError(
            f"{value!r} is not a field path; use names joined by dots, "
            "e.g. partner_id.country_id.code.",
            code="invalid_path",
        )
