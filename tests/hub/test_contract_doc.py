"""docs/contract.md matches the code: its API field names and its verification example."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.factories import emit, make_rule
from tests.fakes.receiver import Receiver, receiver  # noqa: F401  (fixture)
from tests.hub.test_api_contract import CONNECTION, EVENT, HOOK, PAYLOAD_FIELD, RULE, SOURCE

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract.md"


def contract_text() -> str:
    return CONTRACT.read_text()


def verification_example() -> dict[str, Any]:
    """The Python block of the Signatures section, run as a reader would paste it."""
    text = contract_text()
    section = text[text.index("### Signatures") : text.index("### Outcomes")]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(CONTRACT), "exec"), namespace)  # noqa: S102 - our own document
    return namespace


@pytest.mark.parametrize(
    ("resource", "names"),
    [
        ("rule", set.union(*RULE)),
        ("payload field", PAYLOAD_FIELD),
        ("connection", set.union(*CONNECTION)),
        ("hook", set.union(*HOOK)),
        ("event", set.union(*EVENT)),
        ("source", set.union(*SOURCE)),
    ],
)
def test_the_contract_lists_every_api_field(resource: str, names: set[str]) -> None:
    row = next(line for line in contract_text().splitlines() if line.startswith(f"| {resource} |"))
    listed = set(re.findall(r"`([a-z_]+)`", row))
    assert names <= listed, f"{resource}: not in docs/contract.md: {sorted(names - listed)}"


@pytest.mark.django_db
def test_the_documented_verification_accepts_a_real_delivery_and_refuses_a_forgery(
    receiver: Receiver,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    rule = make_rule(url=receiver.url_for("/hook"))
    with django_capture_on_commit_callbacks(execute=True):
        emit()
    (request,) = receiver.wait_for(1)
    headers = {k.lower(): v for k, v in request.headers.items()}

    class Headers(dict):  # case-insensitive, as web frameworks' request.headers are
        def __getitem__(self, name: str) -> str:
            return super().__getitem__(name.lower())

    example = verification_example()
    secret = rule.secret.split()[0]
    for check in (example["verify_webhook"], example["verify_hub_signature"]):
        assert check(request.body, Headers(headers), secret)
        assert not check(request.body + b" ", Headers(headers), secret)
        assert not check(request.body, Headers(headers), "whsec_" + "A" * 43 + "=")
