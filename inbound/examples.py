"""Copy-paste examples for the admin: a curl command signed for the source's scheme (pure)."""

from __future__ import annotations

import json
import shlex
from typing import Any

from inbound.schemes import SCHEMES

SAMPLE = {"type": "example.ping", "data": {"id": 1, "name": "Hello from curl"}}
ODOO_SAMPLE = {"_model": "res.partner", "_id": 1, "_action": "Notify hub(#1)", "name": "Hello"}


def signed_headers(
    scheme: str, *, secret: str, body: bytes, now: int, api_key_header: str = "X-API-Key"
) -> dict[str, str]:
    """The headers a sender using ``scheme`` would add to ``body`` at time ``now``."""
    entry = SCHEMES.get(scheme)
    return entry.example_headers(secret, body, now, api_key_header) if entry else {}


def sample_body(handler: str, scheme: str) -> dict[str, Any]:
    if handler == "odoo_native":
        return ODOO_SAMPLE
    entry = SCHEMES.get(scheme)
    if entry is not None and entry.example_body is not None:
        return entry.example_body()
    return SAMPLE


def curl_command(
    *, url: str, scheme: str, secret: str, now: int, handler: str = "store",
    api_key_header: str = "X-API-Key",
) -> str:  # fmt: skip
    body = json.dumps(sample_body(handler, scheme), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    headers.update(
        signed_headers(scheme, secret=secret, body=body, now=now, api_key_header=api_key_header)
    )
    lines = [f"curl -sS -X POST {shlex.quote(url)}"]
    lines += [f"  -H {shlex.quote(f'{k}: {v}')}" for k, v in headers.items()]
    lines.append(f"  --data-raw {shlex.quote(body.decode())}")
    return " \\\n".join(lines)
