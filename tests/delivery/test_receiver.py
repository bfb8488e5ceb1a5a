"""The loopback receiver fake behaves like a real server (other suites rely on it)."""

from __future__ import annotations

import pytest
import requests

from tests.fakes.receiver import Receiver, Reply


def test_it_records_method_path_query_headers_and_body(receiver: Receiver) -> None:
    requests.post(
        receiver.url_for("/hook?a=1&b=2"), data=b'{"x": 1}', headers={"X-Test": "yes"}, timeout=5
    )
    (req,) = receiver.wait_for(1)
    assert (req.method, req.path, req.param("a"), req.param("b")) == ("POST", "/hook", "1", "2")
    assert req.header("x-test") == "yes"
    assert req.json() == {"x": 1}


def test_it_answers_from_the_script_then_the_default() -> None:
    with Receiver(script=[500, Reply(429, headers={"Retry-After": "7"})], default=204) as rx:
        session = requests.Session()
        answers = [session.get(rx.url_for(), timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 429, 204]
    assert answers[1].headers["Retry-After"] == "7"


def test_it_keeps_connections_alive_for_reuse(receiver: Receiver) -> None:
    session = requests.Session()
    for _ in range(3):
        session.post(receiver.url_for(), data=b"x", timeout=5)
    ports = {r.client_port for r in receiver.wait_for(3)}
    assert len(ports) == 1


def test_a_dropped_connection_gives_the_client_no_response(receiver: Receiver) -> None:
    receiver.script(Reply(drop=True))
    with pytest.raises(requests.ConnectionError):
        requests.post(receiver.url_for(), data=b"x", timeout=5)
    assert len(receiver.wait_for(1)) == 1


def test_a_delay_past_the_client_timeout_times_the_client_out(receiver: Receiver) -> None:
    receiver.script(Reply(delay=2))
    with pytest.raises(requests.Timeout):
        requests.post(receiver.url_for(), data=b"x", timeout=0.3)


def test_wait_for_fails_loudly_when_requests_do_not_arrive(receiver: Receiver) -> None:
    with pytest.raises(AssertionError, match="expected 1 request"):
        receiver.wait_for(1, timeout=0.1)
