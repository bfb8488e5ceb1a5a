"""Dotted paths over Odoo-shaped data: dicts, many2one pairs, x2many lists."""

from __future__ import annotations

import pytest

from hub.lib.paths import as_text, get_path, is_many2one, is_unset

RECORD = {
    "name": "SO042",
    "email": False,
    "partner_id": [7, "Azure Interior"],
    "company": {"id": 1, "name": "YourCompany", "country_id": [21, "Belgium"]},
    "tag_ids": [1, 2],
    "order_line": [
        {"product_id": [3, "Desk"], "tax_ids": [{"name": "VAT 21%"}, {"name": "Eco"}]},
        {"product_id": [4, "Chair"], "tax_ids": []},
    ],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("name", "SO042"),
        ("email", False),
        ("missing", None),
        ("missing.deeper", None),
        ("email.name", None),
        ("partner_id", [7, "Azure Interior"]),
        ("partner_id.id", 7),
        ("partner_id.name", "Azure Interior"),
        ("partner_id.display_name", "Azure Interior"),
        ("partner_id.country_id", None),
        ("company.name", "YourCompany"),
        ("company.country_id.name", "Belgium"),
        ("tag_ids", [1, 2]),
        ("tag_ids.id", [1, 2]),
        ("order_line.product_id", [[3, "Desk"], [4, "Chair"]]),
        ("order_line.product_id.name", ["Desk", "Chair"]),
        ("order_line.tax_ids.name", ["VAT 21%", "Eco"]),
        ("order_line.0.product_id.id", 3),
        ("order_line.5.product_id", None),
        ("", RECORD),
    ],
)
def test_get_path_follows_dicts_pairs_and_lists(path, expected):
    assert get_path(RECORD, path) == expected


def test_a_many2one_is_an_id_and_a_name():
    assert is_many2one([7, "Azure"])
    assert not is_many2one([7, 8])
    assert not is_many2one([True, "x"])


@pytest.mark.parametrize("value", [None, False, []])
def test_false_none_and_an_empty_list_are_unset(value):
    assert is_unset(value)


@pytest.mark.parametrize("value", [0, "", 0.0, [1]])
def test_zero_and_the_empty_string_are_values(value):
    assert not is_unset(value)


def test_as_text_shows_names_and_json_booleans():
    assert as_text([7, "Azure"]) == "Azure"
    assert as_text(True) == "true"
    assert as_text(False) == ""
    assert as_text(["a", None, [2, "b"]]) == "a, b"
    assert as_text(1.5) == "1.5"
