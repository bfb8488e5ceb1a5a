"""The emit's plain-input shortcut answers exactly as EmitSerializer, or leaves it the input."""

from __future__ import annotations

from typing import Any

import pytest

from rules.ruleset import RuleSet
from rules.serializers import EmitSerializer, plain_emit_values

RULESET = RuleSet(
    version="t", event_codes=frozenset({"write", "sale.order.confirmed"}), by_model={}
)
BASE = {"model": "sale.order", "event": "write"}

ACCEPTED = [
    BASE,
    {**BASE, "record_id": 7, "data": {"id": 7, "lines": [1, 2]}},
    {**BASE, "record_id": None, "data": {}},
    {**BASE, "record_id": 0, "changes": None, "user": None, "extra": "ignored"},
    {**BASE, "event": "sale.order.confirmed", "record_id": 2**63 - 1},
]
LEFT_TO_THE_SERIALIZER = [
    {**BASE, "model": " sale.order"},  # trimmed by the CharField
    {**BASE, "model": "Sale.Order"},  # not an Odoo model name
    {**BASE, "model": "x" * 129},
    {**BASE, "model": ""},
    {**BASE, "model": 12},
    {**BASE, "event": "unlink_all"},  # not in the catalogue
    {**BASE, "event": "write "},
    {**BASE, "record_id": "7"},  # DRF converts it
    {**BASE, "record_id": 7.0},
    {**BASE, "record_id": True},
    {**BASE, "record_id": -1},
    {**BASE, "record_id": 2**63},
    {**BASE, "data": None},
    {**BASE, "data": [1]},
    {**BASE, "changes": {"state": {"before": "draft", "after": "sale"}}},
    {**BASE, "user": {"id": 2, "name": "Mitchell Admin"}},
    {"event": "write"},
    ["not", "an", "object"],
]


def serializer_values(data: Any) -> dict[str, Any] | None:
    serializer = EmitSerializer(data=data, context={"ruleset": RULESET})
    return dict(serializer.validated_data) if serializer.is_valid() else None


@pytest.mark.parametrize("data", ACCEPTED)
def test_plain_input_gets_the_serializers_values(data: dict[str, Any]) -> None:
    assert plain_emit_values(data, RULESET) == serializer_values(data)


@pytest.mark.parametrize("data", LEFT_TO_THE_SERIALIZER)
def test_anything_else_is_left_to_the_serializer(data: Any) -> None:
    assert plain_emit_values(data, RULESET) is None
