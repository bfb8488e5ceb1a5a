"""Each payload transform, its argument checks and its error messages."""

from __future__ import annotations

import pytest
from django.test import override_settings

from rules.models import Transform
from rules.transforms import TRANSFORMS, TransformError, apply_transform, validate_transform

RECORD = {
    "name": "SO042",
    "partner_id": [7, "Azure Interior"],
    "amount_total": 1234.5,
    "date_order": "2024-05-01 10:30:00",
}


def run(name: str, value, arg: str = ""):
    return apply_transform(name, value, arg, context={"record": RECORD, "event": None})


def double_it(value, context):
    return value * 2


def explode(value, context):
    raise RuntimeError("boom")


def test_every_transform_choice_has_an_implementation():
    assert {c for c in Transform.values if c} == set(TRANSFORMS)


def test_no_transform_leaves_the_value_unchanged():
    assert run("", [7, "A"]) == [7, "A"]


@pytest.mark.parametrize(
    ("name", "value", "arg", "expected"),
    [
        ("upper", "abc", "", "ABC"),
        ("upper", [7, "Azure"], "", "AZURE"),
        ("lower", "ÀBC", "", "àbc"),
        ("strip", "  x \n", "", "x"),
        ("truncate", "abcdef", "3", "abc"),
        ("truncate", "ab", "5", "ab"),
        ("round", 2.5, "", 3),
        ("round", 0.125, "2", 0.13),
        ("round", "1234.5678", "1", 1234.6),
        ("round", 1234, "-2", 1200),
        ("int", "3.7", "", 3),
        ("int", [7, "Azure"], "", 7),
        ("int", True, "", 1),
        ("float", "1", "", 1.0),
        ("float", 2, "", 2.0),
        ("str", 5, "", "5"),
        ("str", True, "", "true"),
        ("str", [7, "Azure"], "", "Azure"),
        ("bool", "no", "", False),
        ("bool", "Yes", "", True),
        ("bool", 0, "", False),
        ("bool", None, "", False),
        ("bool", [1], "", True),
        ("date_format", "2024-05-01 10:30:00", "%d/%m/%Y %H:%M", "01/05/2024 10:30"),
        ("date_format", "2024-05-01", "%d.%m.%Y", "01.05.2024"),
        ("date_format", "2024-05-01T10:30:00Z", "%Y", "2024"),
        ("date_format", "2024-05-01 10:30:00", "", "2024-05-01"),
        ("iso_datetime", "2024-05-01 10:30:00", "", "2024-05-01T10:30:00Z"),
        ("iso_datetime", "2024-05-01T12:30:00+02:00", "", "2024-05-01T10:30:00Z"),
        ("iso_datetime", "2024-05-01", "", "2024-05-01"),
        ("value_map", "draft", '{"draft": "Draft", "sale": "Confirmed"}', "Draft"),
        ("value_map", "other", '{"draft": "Draft"}', "other"),
        ("value_map", 3, '{"3": "three"}', "three"),
        ("value_map", False, '{"false": "none"}', "none"),
        ("value_map", [7, "Azure"], '{"7": "azure-id"}', "azure-id"),
        ("m2o_id", [7, "Azure"], "", 7),
        ("m2o_id", {"id": 7, "name": "Azure"}, "", 7),
        ("m2o_name", [7, "Azure"], "", "Azure"),
        ("m2o_name", {"id": 7, "display_name": "Azure"}, "", "Azure"),
        ("join", ["a", "b", None], " | ", "a | b"),
        ("join", [[1, "x"], [2, "y"]], "", "x, y"),
        ("join", "solo", "-", "solo"),
        ("template", None, "Order {name} for {partner_id}", "Order SO042 for Azure Interior"),
        ("template", None, "{amount_total:,.2f} EUR", "1,234.50 EUR"),
        ("template", "x", "[{.}] {missing}", "[x] "),
        ("template", None, "{{literal}} {partner_id.id}", "{literal} 7"),
    ],
)
def test_each_transform_converts_the_value(name, value, arg, expected):
    assert run(name, value, arg) == expected


def test_transforms_apply_to_each_element_of_a_list():
    assert run("upper", ["a", "b"]) == ["A", "B"]
    assert run("m2o_id", [[1, "x"], [2, "y"]]) == [1, 2]
    assert run("round", [1.26, None], "1") == [1.3, None]


@pytest.mark.parametrize("name", ["upper", "round", "int", "date_format", "m2o_name", "join"])
def test_unset_values_pass_through_so_a_default_can_apply(name):
    assert run(name, False, "2" if name == "round" else "") is False
    assert run(name, None, "2" if name == "round" else "") is None


def test_an_integer_format_in_a_template_drops_the_fraction():
    assert run("template", None, "{amount_total:d}") == "1234"


def test_a_template_cannot_reach_attributes_or_call_anything():
    assert run("template", None, "{name.__class__}{partner_id.__init__}") == ""


@override_settings(HUB_TRANSFORM_HOOKS=["tests.rules.test_transforms.double_it"])
def test_a_listed_hook_is_called_with_the_value_and_the_context():
    assert run("hook", 21, "tests.rules.test_transforms.double_it") == 42


def test_an_unlisted_hook_is_refused_even_if_importable():
    with pytest.raises(TransformError, match="not listed in the HUB_TRANSFORM_HOOKS"):
        run("hook", 1, "os.getcwd")


@override_settings(HUB_TRANSFORM_HOOKS=["tests.rules.test_transforms.explode"])
def test_a_failing_hook_is_reported_as_a_transform_error():
    with pytest.raises(TransformError, match="RuntimeError: boom"):
        run("hook", 1, "tests.rules.test_transforms.explode")


@pytest.mark.parametrize(
    ("name", "value", "arg", "message"),
    [
        ("int", "abc", "", "cannot convert 'abc' to a number"),
        ("float", {"a": 1}, "", "cannot convert"),
        ("round", "x", "2", "cannot convert 'x'"),
        ("date_format", "yesterday", "%Y", "not a date or datetime"),
        ("iso_datetime", 5, "", "not a date or datetime"),
        ("template", None, "{name:.2f}", "is not a number"),
        ("nope", 1, "", "unknown transform"),
        ("round", 10**400, "2", "too large to round"),
        ("float", "nan", "", "cannot convert 'nan'"),
        ("template", None, "{name:d}", "is not a number"),
    ],
)
def test_a_value_that_cannot_be_transformed_raises_a_clear_error(name, value, arg, message):
    with pytest.raises(TransformError, match=message):
        run(name, value, arg)


@pytest.mark.parametrize(
    ("name", "arg", "message"),
    [
        ("truncate", "", "needs a whole number"),
        ("truncate", "ten", "needs a whole number"),
        ("truncate", "-1", "needs a number >= 0"),
        ("round", "1.5", "needs a whole number"),
        ("value_map", "{draft: 1}", "needs a JSON object as argument"),
        ("value_map", "[1, 2]", "needs a JSON object"),
        ("hook", "os.system", "not listed in the HUB_TRANSFORM_HOOKS"),
        ("template", "", "template needs a text"),
        ("template", "{partner_id", "unbalanced"),
        ("template", "{partner_id()}", "no attribute access, calls or expressions"),
        ("template", "{x:999999}", "unsupported format"),
        ("date_format", "DD/MM/YYYY", "strftime format"),
        ("shout", "", "unknown transform 'shout'"),
    ],
)
def test_validation_rejects_bad_arguments_at_save_time(name, arg, message):
    with pytest.raises(TransformError, match=message):
        validate_transform(name, arg)


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("truncate", "10"),
        ("round", ""),
        ("round", "2"),
        ("value_map", "{}"),
        ("", ""),
        ("template", "{name}"),
        ("date_format", "%d/%m/%Y"),
        ("join", ""),
    ],
)
def test_validation_accepts_good_arguments(name, arg):
    validate_transform(name, arg)


@override_settings(HUB_TRANSFORM_HOOKS=["tests.rules.test_transforms.not_there"])
def test_validation_rejects_a_listed_hook_that_cannot_be_imported():
    with pytest.raises(TransformError, match="cannot be imported"):
        validate_transform("hook", "tests.rules.test_transforms.not_there")
