"""Plan the deliveries of an event: for each matched rule, the URL and body it will send.

The payload half of the outbound flow (``hub.events`` -> match -> **plan** -> delivery). The URL
and body are fixed once per delivery (stored on the log, so every retry sends the same bytes
under the same ``webhook-id``); delivery adds the per-attempt headers, signs, sends and retries.
A payload that cannot be built is planned as an error, never raised: a broken payload rule must
stop neither the event nor its other rules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.serializers.json import DjangoJSONEncoder

from rules.models import WebhookRule
from rules.payload import build_envelope

if TYPE_CHECKING:
    from hub.models import EventHistory

logger = logging.getLogger(__name__)

BODYLESS_METHODS = frozenset({"GET", "DELETE"})
QUERY_KEYS = ("id", "type", "model", "record_id")


@dataclass(frozen=True)
class Planned:
    """One delivery of an event by a rule: its URL and body, or why its payload failed."""

    rule: WebhookRule
    url: str = ""
    body: bytes = b""
    error: Exception | None = None


def encode_body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(
        envelope, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def with_query(url: str, envelope: dict[str, Any]) -> str:
    """The rule URL plus `id`, `type`, `model`, `record_id` (GET and DELETE carry no body)."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    params += [(k, str(envelope[k])) for k in QUERY_KEYS if envelope.get(k) is not None]
    return urlunsplit(parts._replace(query=urlencode(params)))


def prepare(*, rule: WebhookRule, envelope: dict[str, Any]) -> tuple[str, bytes]:
    """URL and body of a delivery, fixed for all its attempts."""
    if rule.http_method in BODYLESS_METHODS:
        return with_query(rule.url, envelope), b""
    return rule.url, encode_body(envelope)


def build_request(*, rule: WebhookRule, event: EventHistory) -> tuple[str, bytes]:
    """URL and body of ``rule`` for ``event``; raises rules.payload.PayloadError (a preview)."""
    return prepare(rule=rule, envelope=build_envelope(rule=rule, event=event))


def plan_one(*, rule: WebhookRule, event: EventHistory) -> Planned:
    try:
        url, body = build_request(rule=rule, event=event)
    except Exception as exc:  # any error in a user-defined payload; logged, never raised
        logger.warning("payload of rule %s for event %s failed: %s", rule.pk, event.pk, exc)
        return Planned(rule=rule, error=exc)
    return Planned(rule=rule, url=url, body=body)


def plan(event: EventHistory, rules: Sequence[WebhookRule]) -> list[Planned]:
    """The deliveries of ``event`` by each of its matched ``rules``, in order."""
    return [plan_one(rule=rule, event=event) for rule in rules]
