"""Python handlers used by the tests (listed in HUB_INBOUND_HANDLERS only where a test says so)."""

from __future__ import annotations

from typing import Any

from hub.events import NewEvent, record_event


def tag_payment(*, payload: Any, incoming: Any, source: Any, options: dict) -> dict:
    """Records a hub event and returns what it saw."""
    event = record_event(
        NewEvent(model="payment", event_code="received", data={"amount": payload["amount"]})
    )
    return {
        "amount": payload["amount"],
        "label": options.get("label"),
        "event": str(event.event_id),
    }


def not_listed(**kwargs: Any) -> None:
    raise AssertionError("a handler that is not listed must never run")
