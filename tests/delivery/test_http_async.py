"""The asyncio HTTP client keeps the chokepoint rules: SSRF guard, no redirects, caps, outcomes."""

from __future__ import annotations

import asyncio
import socket

from hub.lib.http import MAX_BODY_BYTES, HttpResult, Outcome
from hub.lib.http_async import Client
from tests.fakes.receiver import Receiver, Reply


def send(url: str, **options: object) -> HttpResult:
    async def run() -> HttpResult:
        client = Client()
        try:
            return await client.send(method="POST", url=url, body=b"{}", **options)
        finally:
            await client.close()

    return asyncio.run(run())


def test_the_guard_refuses_a_loopback_address_given_as_a_literal(receiver: Receiver) -> None:
    result = send(receiver.url_for(), allow_private=False)
    assert result.outcome is Outcome.FAIL
    assert "loopback" in result.error and "HUB_ALLOW_PRIVATE_TARGETS" in result.error
    assert receiver.requests == []


def test_the_guard_refuses_a_name_that_resolves_to_loopback(receiver: Receiver) -> None:
    result = send(f"http://localhost:{receiver.port}/hook", allow_private=False)
    assert result.outcome is Outcome.FAIL and "loopback" in result.error
    assert receiver.requests == []


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.script(Reply(302, headers={"Location": "/elsewhere"}))
    result = send(receiver.url_for("/old"))
    assert (result.outcome, result.status) == (Outcome.FAIL, 302)
    assert "not followed" in result.error
    assert [r.path for r in receiver.requests] == ["/old"]


def test_the_response_body_is_capped(receiver: Receiver) -> None:
    receiver.script(Reply(200, body=b"x" * (MAX_BODY_BYTES * 3)))
    result = send(receiver.url_for())
    assert result.outcome is Outcome.SUCCESS
    assert result.truncated and len(result.body) == MAX_BODY_BYTES


def test_a_slow_answer_is_a_retryable_timeout(receiver: Receiver) -> None:
    receiver.script(Reply(delay=3))
    result = send(receiver.url_for(), timeout=1)
    assert result.outcome is Outcome.RETRY and result.status is None


def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens
    result = send(f"http://127.0.0.1:{port}/hook")
    assert result.outcome is Outcome.RETRY and result.status is None


def test_a_410_is_gone_and_a_429_is_retry(receiver: Receiver) -> None:
    receiver.script(410, Reply(429, headers={"Retry-After": "7"}))
    assert send(receiver.url_for()).outcome is Outcome.GONE
    second = send(receiver.url_for())
    assert (second.outcome, second.header("retry-after")) == (Outcome.RETRY, "7")
