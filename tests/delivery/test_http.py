"""hub.lib.http: the one outbound HTTP chokepoint, exercised against the loopback receiver."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.test import override_settings

from hub.lib import http
from hub.lib.http import MAX_BODY_BYTES, Outcome, classify_status, refusal_reason, send
from tests.fakes.receiver import Receiver, Reply


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SUCCESS),
        (204, Outcome.SUCCESS),
        (301, Outcome.FAIL),
        (400, Outcome.FAIL),
        (404, Outcome.FAIL),
        (408, Outcome.RETRY),
        (410, Outcome.GONE),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_it_classifies_status_codes_per_the_contract(status: int, outcome: Outcome) -> None:
    assert classify_status(status) is outcome


def test_it_sends_the_user_agent_and_returns_the_response(receiver: Receiver) -> None:
    receiver.script(Reply(201, headers={"X-Reply": "yes"}, body=b"created"))
    result = send(method="POST", url=receiver.url_for(), body=b"{}", timeout=5)
    assert (result.outcome, result.status, result.body) == (Outcome.SUCCESS, 201, "created")
    assert result.header("x-reply") == "yes"
    (req,) = receiver.wait_for(1)
    assert req.header("User-Agent") == "webhook-hub/0.1.0"


def test_it_reuses_the_connection_across_calls(receiver: Receiver) -> None:
    for _ in range(3):
        send(method="POST", url=receiver.url_for(), body=b"x", timeout=5)
    assert len({r.client_port for r in receiver.wait_for(3)}) == 1


def test_it_does_not_follow_redirects(receiver: Receiver) -> None:
    receiver.script(Reply(302, headers={"Location": "/elsewhere"}))
    result = send(method="POST", url=receiver.url_for(), body=b"x", timeout=5)
    assert (result.outcome, result.status) == (Outcome.FAIL, 302)
    assert "/elsewhere" in result.error
    assert len(receiver.requests) == 1


def test_it_retries_on_a_timeout(receiver: Receiver) -> None:
    receiver.script(Reply(delay=2))
    result = send(method="POST", url=receiver.url_for(), body=b"x", timeout=1)
    assert result.outcome is Outcome.RETRY
    assert result.status is None
    assert "timeout" in result.error


def test_it_retries_on_a_dropped_connection(receiver: Receiver) -> None:
    receiver.script(Reply(drop=True))
    result = send(method="POST", url=receiver.url_for(), body=b"x", timeout=5)
    assert (result.outcome, result.status) == (Outcome.RETRY, None)
    assert "connection" in result.error


def test_it_retries_when_the_connection_is_refused() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = send(method="POST", url=f"http://127.0.0.1:{port}/", body=b"x", timeout=5)
    assert result.outcome is Outcome.RETRY
    assert "connection" in result.error


def test_it_caps_the_stored_response_body_at_64_kib(receiver: Receiver) -> None:
    receiver.script(Reply(body=b"a" * (MAX_BODY_BYTES * 3)))
    result = send(method="POST", url=receiver.url_for(), body=b"x", timeout=5)
    assert result.outcome is Outcome.SUCCESS
    assert len(result.body) == MAX_BODY_BYTES
    assert result.truncated


def test_it_sends_no_body_on_get(receiver: Receiver) -> None:
    send(method="GET", url=receiver.url_for("/hook?id=1"), timeout=5)
    (req,) = receiver.wait_for(1)
    assert (req.method, req.body, req.param("id")) == ("GET", b"", "1")


def test_it_refuses_loopback_when_private_targets_are_off(receiver: Receiver) -> None:
    result = send(method="POST", url=receiver.url_for(), body=b"x", allow_private=False)
    assert result.outcome is Outcome.FAIL
    assert "loopback" in result.error and "HUB_ALLOW_PRIVATE_TARGETS" in result.error
    assert receiver.requests == []


@override_settings(HUB_ALLOW_PRIVATE_TARGETS=False)
def test_it_reads_the_setting_on_every_call(receiver: Receiver) -> None:
    result = send(method="POST", url=receiver.url_for(), body=b"x")
    assert result.outcome is Outcome.FAIL
    assert receiver.requests == []


def test_it_refuses_a_host_name_resolving_to_loopback(receiver: Receiver) -> None:
    result = send(method="GET", url=f"http://localhost:{receiver.port}/", allow_private=False)
    assert (result.outcome, result.status) == (Outcome.FAIL, None)
    assert "refused target localhost" in result.error


def test_the_guarded_connection_resolves_once_and_connects_to_the_checked_address(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loopback is the only reachable address in tests, so let the guard treat it as public
    # and count resolutions: one per new connection, none between the check and the connect.
    monkeypatch.setattr(http, "refusal_reason", lambda ip: None)
    real = socket.getaddrinfo
    calls: list[str] = []

    def counting(host: str, *args: object, **kwargs: object) -> list:
        calls.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    url = f"http://localhost:{receiver.port}/hook"
    results = [send(method="POST", url=url, body=b"x", allow_private=False) for _ in range(2)]
    assert [r.outcome for r in results] == [Outcome.SUCCESS, Outcome.SUCCESS]
    assert calls == ["localhost"]  # the second request reused the checked connection


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "an unspecified address"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("64:ff9b::a00:1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
    ],
)
def test_it_refuses_non_public_addresses(address: str, reason: str) -> None:
    assert reason in (refusal_reason(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_it_accepts_public_addresses(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


# Tricky spellings of non-public targets (the SSRF corpus). Each must be refused before any
# connection, with HUB_ALLOW_PRIVATE_TARGETS off; the port is the live loopback receiver's, so
# a form that slipped through to 127.0.0.1 would show up as a recorded request.
SSRF_TARGETS = [
    ("decimal IPv4", "http://2130706433:{port}/"),
    ("octal IPv4", "http://0177.0.0.1:{port}/"),
    ("hex IPv4", "http://0x7f.1:{port}/"),
    ("hex IPv4, one number", "http://0x7f000001:{port}/"),
    ("short IPv4", "http://127.1:{port}/"),
    ("zero-padded IPv4", "http://127.000.000.001:{port}/"),
    ("trailing dot after an IPv4", "http://127.0.0.1.:{port}/"),
    ("localhost", "http://localhost:{port}/"),
    ("localhost with a trailing dot", "http://localhost.:{port}/"),
    ("localhost in capitals", "http://LOCALHOST:{port}/"),
    ("userinfo before the real host", "http://example.com@127.0.0.1:{port}/"),
    ("userinfo with a password", "http://example.com:443@127.0.0.1:{port}/"),
    ("unspecified IPv4", "http://0.0.0.0:{port}/"),
    ("zero", "http://0:{port}/"),
    ("cloud metadata", "http://169.254.169.254/latest/meta-data/"),
    ("link-local IPv4", "http://169.254.1.1:{port}/"),
    ("private 10/8", "http://10.0.0.1:{port}/"),
    ("private 172.16/12", "http://172.16.0.1:{port}/"),
    ("private 192.168/16", "http://192.168.0.1:{port}/"),
    ("shared address space", "http://100.64.0.1:{port}/"),
    ("bracketed IPv6 loopback", "http://[::1]:{port}/"),
    ("IPv6 unspecified", "http://[::]:{port}/"),
    ("IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]:{port}/"),
    ("IPv4-mapped IPv6, hex", "http://[::ffff:7f00:1]:{port}/"),
    ("NAT64", "http://[64:ff9b::7f00:1]:{port}/"),
    ("NAT64 of a private address", "http://[64:ff9b::a00:1]:{port}/"),
    ("6to4 of 127.0.0.1", "http://[2002:7f00:1::1]:{port}/"),
    ("6to4 of 10.0.0.1", "http://[2002:a00:1::1]:{port}/"),
    ("6to4 of the metadata address", "http://[2002:a9fe:a9fe::1]:{port}/"),
    ("Teredo of 10.0.0.1", "http://[2001:0:a00:1::f5ff:fffe]:{port}/"),
    ("scoped link-local IPv6", "http://[fe80::1%25eth0]:{port}/"),
    ("link-local IPv6", "http://[fe80::1]:{port}/"),
    ("unique-local IPv6", "http://[fc00::1]:{port}/"),
    ("unique-local IPv6, fd", "http://[fd12:3456::1]:{port}/"),
    ("AWS IPv6 metadata", "http://[fd00:ec2::254]/"),
    ("multicast IPv6", "http://[ff02::1]:{port}/"),
]


@override_settings(HUB_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.parametrize(("form", "url"), SSRF_TARGETS, ids=[f for f, _ in SSRF_TARGETS])
def test_it_refuses_every_tricky_spelling_of_a_non_public_target(
    receiver: Receiver, form: str, url: str
) -> None:
    result = send(method="GET", url=url.format(port=receiver.port), timeout=2)
    assert (result.outcome, result.status) == (Outcome.FAIL, None), result.error
    assert "refused target" in result.error
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address",
    ["2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8", "2a00:1450:4001:81c::200e"],
)
def test_it_accepts_public_addresses_behind_ipv6_notations(address: str) -> None:
    # Only the check: nothing here connects anywhere.
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_the_refusal_names_the_ipv4_address_inside_a_6to4_address() -> None:
    reason = refusal_reason(ipaddress.ip_address("2002:7f00:1::1"))
    assert reason == "a loopback address (127.0.0.1 inside it)"
