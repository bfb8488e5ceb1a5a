"""NUL characters: valid JSON, refused by PostgreSQL. The API answers 400; events store U+FFFD."""

from __future__ import annotations

import pytest

from hub.events import NewEvent, record_event
from hub.lib.nul import contains_nul, scrub_nul
from hub.models import EventHistory


def test_nul_is_found_in_nested_strings_and_keys():
    assert contains_nul({"a": [1, {"b": "x\x00"}]})
    assert contains_nul({"k\x00": 1})
    assert not contains_nul({"a": [1, {"b": "x"}], "c": None})


def test_the_text_of_an_escape_is_not_a_nul():
    assert not contains_nul({"a": "\\x00 and \\u0000", "b": b"\x00", "c": 1.5})
    assert contains_nul({"a": "\\x00", "b": ("\x00",)})


def test_scrub_replaces_nul_everywhere_and_returns_clean_values_untouched():
    clean = {"a": ["x"]}
    assert scrub_nul(clean) is clean
    assert scrub_nul({"k\x00": ["a\x00b", 2]}) == {"k\ufffd": ["a\ufffdb", 2]}


def test_a_deeply_nested_value_is_checked_without_recursion():
    deep: list = ["\x00"]
    for _ in range(100_000):
        deep = [deep]
    assert contains_nul(deep)


EMIT = {"model": "res.partner", "event": "write", "record_id": 1, "data": {"a": "x\u0000"}}
RULE = {
    "name": "r",
    "model": "res.partner",
    "events": ["write"],
    "url": "https://x.test/",
    "headers": {"X-A": "\u0000"},
}


@pytest.mark.parametrize(("url", "body"), [("/api/emit/", EMIT), ("/api/rules/", RULE)])
def test_the_api_answers_400_for_nul_characters_in_json(api, url, body):
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.django_db
def test_an_event_whose_data_holds_nul_is_stored_with_a_replacement_character():
    record_event(
        NewEvent(
            model="res.partner",
            event_code="write",
            record_id=1,
            data={"name": "a\x00b"},
            changes={"name": {"before": "\x00", "after": "a\x00b"}},
            source="inbound:test",
        )
    )
    stored = EventHistory.objects.get()
    assert stored.data == {"name": "a\ufffdb"}
    assert stored.changes == {"name": {"before": "\ufffd", "after": "a\ufffdb"}}
