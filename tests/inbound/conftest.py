"""Inbound fixtures: sources and Standard Webhooks requests signed by the reference library."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from inbound.models import InboundSource
from tests import factories


@pytest.fixture
def make_source(db: None) -> Callable[..., InboundSource]:
    return factories.make_source


def standard_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, ts: int | None = None
) -> dict[str, str]:
    """Client.post() extra= headers for a Standard Webhooks request."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    stamp = datetime.fromtimestamp(ts or int(time.time()), tz=UTC)
    signature = Webhook(secret).sign(msg_id, stamp, body.decode())
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(stamp.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def post_signed(
    client: Any, source: InboundSource, payload: Any, *, msg_id: str | None = None, **extra: Any
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = standard_headers(source.secret.split()[0], body, msg_id=msg_id)
    headers.update(extra)
    return client.post(source.path, data=body, content_type="application/json", **headers)


from tests.fakes.odoo import fake_odoo, odoo_conn  # noqa: E402,F401  (fixtures)
from tests.fakes.receiver import receiver  # noqa: E402,F401  (fixture)
