"""Odoo domains: parse safely (no eval) and validate. Evaluation lives beside it."""
from __future__ import annotations

import ast
from typing import Any

OPERATORS = frozenset(
    {
        "=", "!=", "<>", ">", ">=", "<", "<=", "in", "not in", "like", "ilike", "not like",
        "not ilike", "=like", "=ilike", "=?",
    }
)
LOGICAL = frozenset({"&", "|", "!"})
ARITY = {"&": 2, "|": 2, "!": 1}

Leaf = tuple[str, str, Any]
Domain = list[Any]  # items are "&", "|", "!" or Leaf


class DomainError(ValueError):
    """The domain text is not a valid Odoo domain; the message says what is wrong."""


def _literal(text: str) -> Any:
    # Odoo writes Python literals; accept true/false/null spellings from JSON too.
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise DomainError(f"not a Python/JSON literal list: {exc.__class__.__name__}") from exc


def parse_domain(text: str | list | None) -> Domain:
    """Parse and validate a domain; an empty text means "every record"."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return []
    raw = _literal(text) if isinstance(text, str) else text
    if not isinstance(raw, list | tuple):
        raise DomainError("a domain must be a list, e.g. [('state', '=', 'sale')]")
    domain: Domain = []
    for position, item in enumerate(raw, start=1):
        if isinstance(item, str):
            if item not in LOGICAL:
                raise DomainError(f"item {position}: unknown operator {item!r} (use '&', '|', '!')")
            domain.append(item)
            continue
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise DomainError(f"item {position}: a condition is (field, operator, value)")
        field, op, value = item
        if not isinstance(field, str) or not field or not all(field.split(".")):
            raise DomainError(f"item {position}: field must be a name like 'partner_id.name'")
        if not isinstance(op, str) or op.lower() not in OPERATORS:
            raise DomainError(f"item {position}: unknown comparison operator {op!r}")
        op = op.lower()
        if op in ("in", "not in") and not isinstance(value, list | tuple):
            raise DomainError(f"item {position}: operator {op!r} needs a list value")
        domain.append((field, op, list(value) if isinstance(value, tuple) else value))
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
        raise ValidationError(f"Invalid domain: {exc}") from exc
