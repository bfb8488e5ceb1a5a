"""Inline mode (tests, ``HUB_Q_SYNC``): a task's own exception is not logged as an outage."""

from __future__ import annotations

import logging

import pytest

from hub.lib import queue

pytestmark = pytest.mark.django_db


def failing_task() -> None:
    raise RuntimeError("boom inside the task")


def test_task_exception_inline_is_not_called_a_broker_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hub.lib.queue"):
        assert queue.enqueue("tests.hub.test_queue_inline.failing_task") is None
    messages = [r.getMessage() for r in caplog.records if r.name == "hub.lib.queue"]
    assert messages == ["task tests.hub.test_queue_inline.failing_task failed while run inline"]
    assert "boom inside the task" in caplog.text  # the traceback is kept
    assert "broker unavailable" not in caplog.text
