"""django-q2 entry points: they carry ids and call one service."""

from __future__ import annotations

from inbound import processing


def process_incoming(incoming_id: int) -> str:
    return processing.process_incoming(incoming_id=incoming_id)


def process_incoming_batch(incoming_ids: list[int]) -> dict[str, int]:
    return processing.process_batch(incoming_ids=incoming_ids)


def sweep() -> dict[str, int]:
    return processing.sweep()
