"""Odoo domains: parse safely (no eval), validate, and evaluate against record data."""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from hub.lib.paths import get_path, is_many2one, relation_id, relation_name

OPERATORS = frozenset(
    {
        "=", "!=", "<>", ">", ">=", "<", "<=", "in", "not in", "like", "ilike", "not like",
        "not ilike", "=like", "=ilike", "=?",
    }
)  # fmt: skip
LOGICAL = frozenset({"&", "|", "!"})
ARITY = {"&": 2, "|": 2, "!": 1}
MAX_TEXT = 20_000  # a condition is typed by a person; refuse megabytes before parsing
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
SCALARS = (str, int, float, bool, type(None))

Leaf = tuple[Any, str, Any]


class Domain(list):
    """A parsed, validated domain: items are "&", "|", "!" or (field, operator, value) leaves."""


class DomainError(ValueError):
    """The domain text is not a valid Odoo domain; the message says what is wrong."""


def _literal(text: str) -> Any:
    if len(text) > MAX_TEXT:
        raise DomainError(f"the domain is too long ({len(text)} characters, at most {MAX_TEXT})")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        try:  # a JSON spelling (true/false/null, double quotes) is accepted too
            return json.loads(text)
        except (ValueError, RecursionError):
            pass
        if isinstance(exc, SyntaxError):
            raise DomainError(f"syntax error at column {exc.offset}: {exc.msg}") from exc
        raise DomainError(
            "only literal values are allowed (strings, numbers, True/False/None, lists); "
            "expressions such as uid or context_today() cannot be evaluated by the hub"
        ) from exc


def _check_value(position: int, value: Any) -> Any:
    items = value if isinstance(value, list | tuple) else [value]
    if not all(isinstance(v, SCALARS) for v in items):
        raise DomainError(
            f"item {position}: the value must be a string, number, True/False/None "
            "or a list of those"
        )
    return list(value) if isinstance(value, tuple) else value


def _leaf(position: int, item: Any) -> Leaf:
    if not isinstance(item, list | tuple) or len(item) != 3:
        raise DomainError(f"item {position}: a condition is (field, operator, value), got {item!r}")
    field, op, value = item
    if field in (0, 1) and op == "=" and value == 1 and not isinstance(field, bool):
        return (field, "=", 1)  # Odoo's TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1)
    if not isinstance(field, str) or not FIELD_RE.match(field):
        raise DomainError(
            f"item {position}: field must be a name like 'partner_id.name', got {field!r}"
        )
    if not isinstance(op, str) or op.lower() not in OPERATORS:
        supported = ", ".join(sorted(OPERATORS))
        raise DomainError(f"item {position}: unknown operator {op!r} (supported: {supported})")
    op = op.lower()
    value = _check_value(position, value)
    if op in ("in", "not in") and not isinstance(value, list):
        raise DomainError(f"item {position}: operator {op!r} needs a list value, e.g. ['a', 'b']")
    if op not in ("in", "not in") and isinstance(value, list):
        raise DomainError(f"item {position}: operator {op!r} needs a single value, not a list")
    return (field, op, value)


def parse_domain(text: str | list | tuple | None) -> Domain:
    """Parse and validate a domain; an empty text means "every record"."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return Domain()
    raw = _literal(text) if isinstance(text, str) else text
    if not isinstance(raw, list | tuple):
        raise DomainError("a domain must be a list, e.g. [('state', '=', 'sale')]")
    domain = Domain()
    for position, item in enumerate(raw, start=1):
        if isinstance(item, str):
            if item not in LOGICAL:
                raise DomainError(f"item {position}: unknown operator {item!r} (use '&', '|', '!')")
            domain.append(item)
        else:
            domain.append(_leaf(position, item))
    _check_arity(domain)
    return domain


def _check_arity(domain: Domain) -> None:
    """Polish notation: every operator must have enough operands (implicit '&' joins the rest)."""
    needed = 1
    for item in domain:
        if needed == 0:
            needed = 1  # an implicit '&' between top-level terms
        if isinstance(item, str):
            needed += ARITY[item] - 1
        else:
            needed -= 1
    if domain and needed > 0:
        raise DomainError("an operator ('&', '|' or '!') is missing one of its operands")


def validate_domain(text: str) -> None:
    """Django validator form of parse_domain."""
    from django.core.exceptions import ValidationError

    try:
        parse_domain(text)
    except DomainError as exc:
        raise ValidationError(f"Invalid domain: {exc}", code="invalid_domain") from exc


def domain_fields(domain: Domain) -> set[str]:
    """The field paths a domain reads (for deciding what to fetch from Odoo)."""
    return {item[0] for item in domain if isinstance(item, tuple) and isinstance(item[0], str)}


# --- evaluation ---------------------------------------------------------------------------------


def evaluate(domain: Domain | str | None, record: dict[str, Any]) -> bool:
    """True when ``record`` satisfies ``domain`` (Odoo semantics; see docs/rules.md)."""
    if not isinstance(domain, Domain):
        domain = parse_domain(domain)  # text or a raw list: validate before trusting it
    stack: list[bool] = []
    for item in reversed(domain):
        if item == "!":
            stack.append(not stack.pop())
        elif item == "&":
            stack.append(stack.pop() & stack.pop())
        elif item == "|":
            stack.append(stack.pop() | stack.pop())
        else:
            stack.append(_leaf_matches(item, record))
    return all(stack)  # several top-level terms are joined by an implicit '&'


def _candidates(record: dict[str, Any], path: str) -> list[Any]:
    """The values a leaf compares: one for a plain field, each element through an x2many."""
    value = get_path(record, path)
    if isinstance(value, list | tuple) and not is_many2one(value):
        values = list(value)
        return values or [None]
    return [value]


def _comparable(candidate: Any, value: Any) -> Any:
    """Odoo's unset is None here; a relation compares by name against text, else by id."""
    if candidate is False or candidate is None:
        return None
    if is_many2one(candidate) or isinstance(candidate, dict):
        return relation_name(candidate) if isinstance(value, str) else relation_id(candidate)
    return candidate


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]00:?00)?$")


def _align(a: Any, b: Any) -> tuple[Any, Any]:
    """Make two values comparable: numbers with numeric text; Odoo and ISO datetimes."""
    a_is_num = isinstance(a, int | float) and not isinstance(a, bool)
    b_is_num = isinstance(b, int | float) and not isinstance(b, bool)
    if a_is_num != b_is_num and isinstance(a if b_is_num else b, str):
        na, nb = _number(a), _number(b)
        if na is not None and nb is not None:
            return na, nb
    if isinstance(a, str) and isinstance(b, str) and _DATE_RE.match(a) and _DATE_RE.match(b):
        # '2024-05-01 10:00:00' (Odoo, UTC) and '2024-05-01T10:00:00Z' (ISO) order the same.
        return _date_key(a), _date_key(b)
    return a, b


def _date_key(text: str) -> str:
    text = text.replace("T", " ")
    return re.sub(r"(Z|[+-]00:?00)$", "", text)


def _equal(candidate: Any, value: Any) -> bool:
    if candidate is None:
        return value is None or value is False
    if value is None or value is False:
        return False
    a, b = _align(candidate, value)
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _order(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(candidate: Any, value: Any) -> bool:
        if candidate is None or value is None or value is False:
            return False  # SQL semantics: comparing with NULL is never true
        a, b = _align(candidate, value)
        if isinstance(a, bool) or isinstance(b, bool):
            return False
        try:
            return bool(compare(a, b))
        except TypeError:
            return False

    return check


@lru_cache(maxsize=512)
def like_regex(pattern: str, anchored: bool, ignore_case: bool) -> re.Pattern[str]:
    """SQL LIKE pattern -> regex: ``%`` any run, ``_`` one character, ``\\`` escapes."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    body = "".join(out)
    if not anchored:
        body = f".*{body}.*"
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(anchored: bool, ignore_case: bool) -> Callable[[Any, Any], bool]:
    def check(candidate: Any, value: Any) -> bool:
        if candidate is None:
            return False
        pattern = "" if value is None or value is False else str(value)
        text = candidate if isinstance(candidate, str) else json.dumps(candidate)
        return like_regex(pattern, anchored, ignore_case).fullmatch(text) is not None

    return check


def _in(candidate: Any, values: Any) -> bool:
    return any(_equal(candidate, v) for v in values)


POSITIVE: dict[str, Callable[[Any, Any], bool]] = {
    "=": _equal,
    "in": _in,
    ">": _order(operator.gt),
    ">=": _order(operator.ge),
    "<": _order(operator.lt),
    "<=": _order(operator.le),
    "like": _like(anchored=False, ignore_case=False),
    "ilike": _like(anchored=False, ignore_case=True),
    "=like": _like(anchored=True, ignore_case=False),
    "=ilike": _like(anchored=True, ignore_case=True),
}
# A negative operator is true when no value matches its positive form, so unset values match
# (Odoo adds "OR field IS NULL" to !=, not in, not like and not ilike).
NEGATIVE = {"!=": "=", "<>": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}


def _leaf_matches(leaf: Leaf, record: dict[str, Any]) -> bool:
    field, op, value = leaf
    if not isinstance(field, str):
        return field == 1  # TRUE_LEAF / FALSE_LEAF
    if op == "=?":
        if value is None or value is False:
            return True
        op = "="
    negate = op in NEGATIVE
    check = POSITIVE[NEGATIVE.get(op, op)]
    # Against a list, a relation compares by name when the first listed value is text.
    probe = value[0] if isinstance(value, list) and value else value
    values = [_comparable(c, probe) for c in _candidates(record, field)]
    if op in ("in", "not in") and not value:
        return negate  # "in []" matches nothing, "not in []" everything
    matched = any(check(c, value) for c in values)
    return not matched if negate else matched
