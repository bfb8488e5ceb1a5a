"""The scheme table is the one place a signature scheme is declared."""

from __future__ import annotations

import pytest

from inbound.examples import signed_headers
from inbound.models import Verification
from inbound.schemes import SCHEMES, SignedRequest, verify


def test_the_verification_choices_are_exactly_the_schemes_of_the_table() -> None:
    assert set(Verification.values) == set(SCHEMES)


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_every_scheme_accepts_the_example_request_the_admin_shows(name: str) -> None:
    scheme = SCHEMES[name]
    secret = scheme.new_secret() if scheme.new_secret else "shpss_sender-issued-secret"
    body = b'{"type":"example.ping"}'
    headers = signed_headers(name, secret=secret, body=body, now=1_700_000_000)
    request = SignedRequest(body=body, headers=headers, secrets=[secret], now=1_700_000_000)
    assert verify(name, request).ok
