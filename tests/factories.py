"""Project-wide test factories: rules, events, delivery logs and retries, inbound sources/requests.

Plain functions (call them from a test that has database access); each takes the fields it is
given and fills in the rest, so a test names only what it is about.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from delivery.models import WebhookLog, WebhookRetry
from hub.crypto import generate_signing_secret
from hub.events import NewEvent, record_event
from hub.models import EventHistory
from inbound.models import InboundSource, IncomingWebhook
from inbound.source_checks import validate_source
from rules.models import WebhookEvent, WebhookRule

_serial = itertools.count(1)


def make_rule(
    name: str | None = None,
    *,
    model: str = "res.partner",
    url: str | None = None,
    events: tuple[str, ...] = ("write",),
    **fields: Any,
) -> WebhookRule:
    """A rule on ``model`` for ``events`` (the events are created when a test flushed them)."""
    name = name or f"rule {next(_serial)}"
    url = url or f"https://{name.lower().replace(' ', '-')}.example.com/hook"
    rule = WebhookRule.objects.create(name=name, model=model, url=url, **fields)
    # get_or_create: transactional tests flush the standard events the migration created.
    get = WebhookEvent.objects.get_or_create
    rule.events.set([get(code=code, defaults={"name": code})[0] for code in events])
    return rule


def emit(**overrides: Any) -> EventHistory:
    """Record a `res.partner` write (the caller decides whether on_commit callbacks run)."""
    values: dict[str, Any] = {
        "model": "res.partner",
        "event_code": "write",
        "record_id": 42,
        "data": {"id": 42, "name": "Azure Interior", "email": "b@example.com"},
        "changes": {"email": {"before": "a@example.com", "after": "b@example.com"}},
        "user": {"id": 2, "name": "Mitchell Admin"},
    }
    values.update(overrides)
    return record_event(NewEvent(**values))


def make_log(
    status: str = "success",
    *,
    created_at: datetime | None = None,
    rule: WebhookRule | None = None,
    **kw: Any,
) -> WebhookLog:
    """A WebhookLog row; `created_at` is set after insert (the field is auto_now_add)."""
    if rule is not None:
        kw.setdefault("rule_name", rule.name)
        kw.setdefault("model", rule.model)
        kw.setdefault("url", rule.url)
    kw.setdefault("model", "sale.order")
    kw.setdefault("event_code", "write")
    kw.setdefault("url", "https://erp.example.com/hook")
    kw.setdefault("delivery_id", f"msg_test{next(_serial)}")
    if status in ("success", "failed"):
        kw.setdefault("duration_ms", 100)
        kw.setdefault("response_status", 200 if status == "success" else 503)
    if status == "failed":
        kw.setdefault("error", "HTTP 503")
    log = WebhookLog.objects.create(status=status, rule=rule, **kw)
    if created_at is not None:
        WebhookLog.objects.filter(pk=log.pk).update(created_at=created_at)
        log.created_at = created_at
    return log


def make_retry(state: str = "pending", **kw: Any) -> WebhookRetry:
    kw.setdefault("delivery_id", f"msg_retry{next(_serial)}")
    if state == "exhausted":
        kw.setdefault("exhausted_at", timezone.now() - timedelta(minutes=5))
    return WebhookRetry.objects.create(state=state, **kw)


def make_source(**kw: Any) -> InboundSource:
    """A saved, checked source (Standard Webhooks with a fresh secret unless told otherwise)."""
    kw.setdefault("name", f"source {uuid.uuid4().hex[:6]}")
    kw.setdefault("verification", "standard")
    if kw["verification"] in {"standard", "hmac"}:
        kw.setdefault("secret", generate_signing_secret())
    source = InboundSource(**kw)
    source.full_clean()
    validate_source(source)
    source.save()
    return source


def make_incoming(
    state: str = "done",
    *,
    source: InboundSource | None = None,
    received_at: datetime | None = None,
    **kw: Any,
) -> IncomingWebhook:
    """A request received on ``source`` (by default one shared "Shop" source, verification none)."""
    if source is None:
        source = InboundSource.objects.get_or_create(
            name="Shop", defaults={"verification": "none"}
        )[0]
    kw.setdefault("verification_status", "not_required")
    row = IncomingWebhook.objects.create(source=source, state=state, headers={}, **kw)
    if received_at is not None:
        IncomingWebhook.objects.filter(pk=row.pk).update(received_at=received_at)
        row.received_at = received_at
    return row


def token_client(user: Any) -> APIClient:
    """An API client authenticated with ``user``'s token."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
