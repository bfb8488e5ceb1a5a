"""A safe template language: ``{partner_id.name}`` placeholders over record data, nothing else.

No attribute access, no indexing syntax, no calls, no eval: a placeholder is a dotted path
resolved with ``get_path`` against a dict, plus an optional restricted format spec
(``{amount_total:.2f}``). ``{.}`` is the field's own value; ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from hub.lib.paths import as_text, get_path, relation_id

MAX_TEMPLATE = 10_000
TOKEN_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
PATH_RE = re.compile(r"^(\.|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*)$")
# Widths and precisions are capped at two digits so a template cannot ask for huge strings.
SPEC_RE = re.compile(r"^([^{}]?[<>^=])?[+\- ]?0?\d{0,2}[,_]?(\.\d{1,2})?[bdeEfFgGnosxX%]?$")
NUMERIC_TYPES = frozenset("bdeEfFgGnoxX%")


class TemplateError(ValueError):
    """The template text is malformed, or a value does not fit its format spec."""


@dataclass(frozen=True)
class Placeholder:
    path: str
    spec: str


Part = str | Placeholder


@lru_cache(maxsize=256)
def parse_template(text: str) -> tuple[Part, ...]:
    """Split a template into literal text and placeholders; raise TemplateError if malformed."""
    if len(text) > MAX_TEMPLATE:
        raise TemplateError(f"the template is too long (at most {MAX_TEMPLATE} characters)")
    parts: list[Part] = []
    position = 0
    for match in TOKEN_RE.finditer(text):
        parts.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
            continue
        if token in ("{", "}"):
            raise TemplateError(
                f"unbalanced {token!r} at position {match.start() + 1} (write {token * 2} for a "
                "literal brace)"
            )
        parts.append(_placeholder(match.group(1), match.start() + 1))
    parts.append(text[position:])
    return tuple(p for p in parts if p != "")


def _placeholder(body: str, position: int) -> Placeholder:
    path, _, spec = body.strip().partition(":")
    path = path.strip()
    if not PATH_RE.match(path):
        raise TemplateError(
            f"placeholder {{{body}}} at position {position}: use a field path such as "
            "{partner_id.name} (no attribute access, calls or expressions)"
        )
    if spec and not SPEC_RE.match(spec):
        raise TemplateError(
            f"placeholder {{{body}}} at position {position}: unsupported format {spec!r} "
            "(examples: .2f, 05d, >10, ,.2f)"
        )
    return Placeholder(path, spec)


def template_paths(text: str) -> set[str]:
    """The record paths a template reads (``{.}`` excluded)."""
    return {p.path for p in parse_template(text) if isinstance(p, Placeholder) and p.path != "."}


def _formatted(value: Any, spec: str) -> str:
    if not spec:
        return as_text(value)
    if value is None or value is False:
        return ""
    kind = spec[-1] if spec[-1] in NUMERIC_TYPES else ""
    if kind:
        value = _as_number(relation_id(value), integer=kind in "bdoxX")
    elif not isinstance(value, int | float | str) or isinstance(value, bool):
        value = as_text(value)
    try:
        return format(value, spec)
    except (ValueError, TypeError) as exc:
        raise TemplateError(f"cannot format {value!r} with {spec!r}: {exc}") from None


def _as_number(value: Any, *, integer: bool) -> int | float | Decimal:
    if isinstance(value, bool):
        return int(value)
    try:
        number = value if isinstance(value, int | float) else Decimal(str(value).strip())
        return int(number) if integer else number
    except (InvalidOperation, ValueError, OverflowError):
        raise TemplateError(f"{value!r} is not a number") from None


def render_template(text: str, record: dict[str, Any], *, value: Any = None) -> str:
    """Render ``text`` with placeholders resolved against ``record`` (``{.}`` = ``value``)."""
    out: list[str] = []
    for part in parse_template(text):
        if isinstance(part, str):
            out.append(part)
            continue
        found = value if part.path == "." else get_path(record, part.path)
        out.append(_formatted(found, part.spec))
    return "".join(out)
