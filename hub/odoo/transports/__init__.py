"""How the client reaches Odoo: one module per wire protocol behind the `Transport` protocol.

`xmlrpc` speaks /xmlrpc/2 (Odoo 16-18, and 19+ with a password); `json2` speaks /json/2 (Odoo
19+ with an API key). The client (hub.odoo.client) picks one and calls it in execute_kw shape.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol

PROTOCOLS = ("auto", "xmlrpc", "json2")
JSON2_SINCE = 19  # first Odoo major version with /json/2


class Transport(Protocol):
    name: ClassVar[str]
    needs_uid: ClassVar[bool]  # execute_kw needs the uid of a login first (XML-RPC)

    def version(self) -> dict[str, Any]:
        """{"server_version": "19.0", "server_version_info": [19, 0, ...]} (XML-RPC's shape)."""

    def login(self) -> int:
        """The uid of the configured user; OdooAuthError when the credentials are refused."""

    def execute_kw(
        self, model: str, method: str, args: list, kwargs: dict, *, uid: int | None
    ) -> Any:
        """Call an ORM method; args and kwargs as XML-RPC's execute_kw takes them."""

    def close(self) -> None: ...


def odoo_value(value: Any) -> Any:
    """Odoo writes "empty" as False; None means nothing to Odoo (and XML-RPC cannot send it)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {k: odoo_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [odoo_value(v) for v in value]
    return value


def major_version(version: str) -> int | None:
    """19 for "19.0", "saas~19.1" or "19.0+e"; None when there is no number."""
    match = re.search(r"(\d+)", version or "")
    return int(match.group(1)) if match else None
