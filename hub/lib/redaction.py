"""Which header names carry credentials, and masking their values (delivery logs, rule headers)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

MASK = "********"  # what the API and the admin show for a stored credential header value

ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
# Users put tokens in custom headers under all kinds of names: any name containing one of these.
SECRET_HINTS = (
    "auth", "token", "secret", "password", "passwd", "key", "signature", "cookie", "session",
    "credential",
)  # fmt: skip


@lru_cache(maxsize=1024)  # a handful of distinct names, checked for every delivery attempt
def is_secret_header(name: str) -> bool:
    """True when a header of this name looks like it carries a credential."""
    lower = name.lower()
    return lower in ALWAYS_SECRET or any(hint in lower for hint in SECRET_HINTS)


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy to show: credential values replaced by :data:`MASK`, other values as they are."""
    return {k: MASK if is_secret_header(k) else v for k, v in headers.items()}


class MaskedValueError(ValueError):
    """The mask was sent for a credential header that has no stored value to keep."""


def restore_masked(submitted: Mapping[str, str], stored: Mapping[str, str]) -> dict[str, str]:
    """`submitted` with each credential value that is still the mask replaced by the stored one.

    This is how an edit that sends back what it was shown keeps the credential; names match
    case-insensitively (HTTP header names are). A header left out is removed, as before.
    """
    by_name = {k.lower(): v for k, v in stored.items()}
    out: dict[str, str] = {}
    for name, value in submitted.items():
        if value == MASK and is_secret_header(name):
            if name.lower() not in by_name:
                raise MaskedValueError(
                    f"Header {name!r}: {MASK} stands for a stored value and there is none; "
                    "type the value."
                )
            value = by_name[name.lower()]
        out[name] = value
    return out
