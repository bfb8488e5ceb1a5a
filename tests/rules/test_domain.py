"""Odoo domains: parsing (valid, invalid) and evaluation with Odoo's semantics, no database."""

from __future__ import annotations

import pytest

from rules.domain import DomainError, domain_fields, evaluate, parse_domain

ORDER = {
    "id": 42,
    "name": "SO042",
    "state": "sale",
    "amount_total": 1500.0,
    "partner_id": [7, "Azure Interior"],
    "user_id": False,
    "email": False,
    "note": "",
    "qty": 0,
    "is_company": True,
    "tag_ids": [1, 2],
    "date_order": "2024-05-01 10:30:00",
    "order_line": [
        {"product_id": [3, "Desk"], "qty": 2, "discount": False},
        {"product_id": [4, "Chair"], "qty": 1, "discount": 10.0},
    ],
    "company": {"id": 1, "name": "YourCompany", "country": {"code": "BE"}},
}


def matches(domain: str | list) -> bool:
    return evaluate(domain, ORDER)


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[('state','=','sale'),('amount_total','>',1000)]",
        "['|', ('state','=','sale'), ('state','=','done')]",
        "['&', '!', ('state','=','cancel'), '|', ('a','=',1), ('b','in',[1, 2])]",
        '[["state", "=", "sale"], ["active", "=", true], ["x", "=", null]]',
        "[('partner_id.country_id.code', 'in', ('BE', 'FR'))]",
        "[(1, '=', 1)]",
        "[]",
        "",
    ],
)
def test_it_accepts_valid_domains(text):
    parse_domain(text)


def test_an_empty_condition_is_an_empty_domain():
    assert parse_domain("  ") == []
    assert parse_domain(None) == []


def test_tuples_become_lists_and_operators_are_lowercased():
    assert parse_domain("[('tag_ids', 'NOT IN', (1, 2))]") == [("tag_ids", "not in", [1, 2])]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[('state', '=', 'sale')", "syntax error"),
        ("{'state': 'sale'}", "must be a list"),
        ("[('state', 'equals', 'sale')]", "unknown operator 'equals'"),
        ("[('state', '=')]", "(field, operator, value)"),
        ("['&', ('a', '=', 1)]", "missing one of its operands"),
        ("['|']", "missing one of its operands"),
        ("['x', ('a', '=', 1)]", "unknown operator 'x'"),
        ("[('a', 'in', 1)]", "needs a list value"),
        ("[('a', '=', [1, 2])]", "needs a single value"),
        ("[('user_id', '=', uid)]", "only literal values"),
        ("[('date', '<', context_today())]", "only literal values"),
        ("[('a b', '=', 1)]", "field must be a name"),
        ("[('a', '=', {'x': 1})]", "value must be a string"),
        ("[('a', 'child_of', 1)]", "unknown operator 'child_of'"),
        ("[" + "('a','=',1)," * 3000 + "]", "too long"),
    ],
)
def test_it_rejects_invalid_domains_saying_what_is_wrong(text, message):
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_domain(text)


def test_domain_fields_lists_the_paths_a_domain_reads():
    domain = parse_domain("['|', ('a.b', '=', 1), ('c', '!=', False), (1, '=', 1)]")
    assert domain_fields(domain) == {"a.b", "c"}


# --- evaluation ---------------------------------------------------------------------------------


def test_an_empty_domain_matches_every_record():
    assert matches("[]")


def test_top_level_terms_are_joined_by_an_implicit_and():
    assert matches("[('state','=','sale'),('amount_total','>',1000)]")
    assert not matches("[('state','=','sale'),('amount_total','>',2000)]")


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ("('state', '=', 'sale')", True),
        ("('state', '!=', 'sale')", False),
        ("('state', '<>', 'draft')", True),
        ("('amount_total', '>', 1000)", True),
        ("('amount_total', '>=', 1500)", True),
        ("('amount_total', '<', 1500)", False),
        ("('amount_total', '<=', 1500)", True),
        ("('amount_total', '>', '999.5')", True),
        ("('state', 'in', ['sale', 'done'])", True),
        ("('state', 'not in', ['sale', 'done'])", False),
        ("('state', 'in', [])", False),
        ("('state', 'not in', [])", True),
        ("('name', 'like', 'O04')", True),
        ("('name', 'like', 'o04')", False),
        ("('name', 'ilike', 'o04')", True),
        ("('name', 'not like', 'O04')", False),
        ("('name', 'not ilike', 'xyz')", True),
        ("('name', '=like', 'SO%')", True),
        ("('name', '=like', 'SO')", False),
        ("('name', '=like', 'SO0_2')", True),
        ("('name', '=ilike', 'so042')", True),
        ("('name', 'like', '50%')", False),
        ("('date_order', '>=', '2024-05-01')", True),
        ("('date_order', '<', '2024-05-01T10:30:00Z')", False),
        ("('date_order', '>', '2024-05-01T09:00:00Z')", True),
        ("('is_company', '=', True)", True),
        ("('qty', '=', 0)", True),
        ("('qty', '=', False)", False),
        ("('note', '=', '')", True),
        ("('state', '=?', False)", True),
        ("('state', '=?', None)", True),
        ("('state', '=?', 'sale')", True),
        ("('state', '=?', 'draft')", False),
        ("(1, '=', 1)", True),
        ("(0, '=', 1)", False),
    ],
)
def test_each_operator_compares_like_odoo(leaf, expected):
    assert matches(f"[{leaf}]") is expected


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ("('email', '=', False)", True),
        ("('email', '=', None)", True),
        ("('email', '!=', False)", False),
        ("('state', '!=', False)", True),
        ("('missing_field', '=', False)", True),
        ("('missing_field', '!=', 'x')", True),
        ("('email', '!=', 'a@example.com')", True),
        ("('email', 'not in', ['a@example.com'])", True),
        ("('email', 'in', [False, 'a@example.com'])", True),
        ("('email', 'not ilike', 'example')", True),
        ("('email', 'ilike', 'example')", False),
        ("('email', '<', 5)", False),
        ("('email', '>', 5)", False),
        ("('amount_total', '>', False)", False),
        ("('user_id', '=', False)", True),
        ("('user_id.name', '=', False)", True),
        ("('tag_ids', '!=', False)", True),
        ("('order_line.discount', '=', False)", True),
    ],
)
def test_false_none_and_missing_values_are_not_set(leaf, expected):
    assert matches(f"[{leaf}]") is expected


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ("('partner_id', '=', 7)", True),
        ("('partner_id', '=', 8)", False),
        ("('partner_id', '=', 'Azure Interior')", True),
        ("('partner_id', 'ilike', 'azure')", True),
        ("('partner_id', 'in', [7, 9])", True),
        ("('partner_id', 'in', ['Azure Interior'])", True),
        ("('partner_id', 'not in', [7])", False),
        ("('partner_id.id', '=', 7)", True),
        ("('partner_id.name', '=', 'Azure Interior')", True),
        ("('partner_id', '!=', False)", True),
        ("('company', '=', 1)", True),
        ("('company', '=', 'YourCompany')", True),
        ("('company.country.code', '=', 'BE')", True),
        ("('company.country.code', 'in', ['FR', 'DE'])", False),
    ],
)
def test_a_many2one_compares_its_id_with_numbers_and_its_name_with_text(leaf, expected):
    assert matches(f"[{leaf}]") is expected


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        ("('tag_ids', 'in', [2, 3])", True),
        ("('tag_ids', '=', 1)", True),
        ("('tag_ids', 'not in', [1])", False),
        ("('order_line.product_id', '=', 4)", True),
        ("('order_line.product_id.name', '=', 'Chair')", True),
        ("('order_line.product_id.name', 'ilike', 'des')", True),
        ("('order_line.qty', '>', 1)", True),
        ("('order_line.qty', '>', 5)", False),
        ("('order_line.product_id.name', '!=', 'Chair')", False),
    ],
)
def test_an_x2many_path_matches_when_any_element_matches(leaf, expected):
    assert matches(f"[{leaf}]") is expected


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("['|', ('state', '=', 'draft'), ('state', '=', 'sale')]", True),
        ("['|', ('state', '=', 'draft'), ('state', '=', 'done')]", False),
        ("['&', ('state', '=', 'sale'), ('amount_total', '<', 100)]", False),
        ("['!', ('state', '=', 'cancel')]", True),
        ("['!', ('state', '=', 'sale')]", False),
        ("['!', '|', ('state', '=', 'draft'), ('state', '=', 'sale')]", False),
        (
            "['|', '&', ('state', '=', 'sale'), ('amount_total', '>', 1000),"
            " '&', ('state', '=', 'draft'), ('amount_total', '>', 10)]",
            True,
        ),
        (
            "['&', '|', ('state', '=', 'draft'), ('state', '=', 'done'),"
            " '!', ('partner_id', '=', False)]",
            False,
        ),
        ("['|', ('email', '!=', False), '!', ('order_line.product_id', '=', 99)]", True),
        ("[('state', '=', 'sale'), '|', ('email', '!=', False), ('qty', '=', 0)]", True),
        ("['!', '!', ('state', '=', 'sale')]", True),
    ],
)
def test_nested_prefix_operators_combine_like_polish_notation(domain, expected):
    assert matches(domain) is expected


def test_evaluate_validates_a_raw_list_before_using_it():
    assert evaluate([["state", "=", "sale"]], ORDER)
    with pytest.raises(DomainError):
        evaluate([["state", "~", "sale"]], ORDER)


def test_like_treats_percent_and_underscore_as_wildcards_and_backslash_escapes_them():
    record = {"code": "50%_off"}
    assert evaluate("[('code', 'like', '50\\\\%')]", record)
    assert evaluate("[('code', '=like', '5__%')]", record)
    assert not evaluate("[('code', '=like', '5\\\\_%')]", record)
