"""Admin form fields shared by the apps: a list of names typed as JSON or comma separated."""

from __future__ import annotations

import json
from typing import Any

from django import forms

NAME_LIST_HELP = 'Field names, comma separated (a JSON list such as ["email", "phone"] works too).'


def parse_names(text: str) -> list[str]:
    """`a, b` or `a\\nb` or `["a", "b"]` -> ["a", "b"]; raises ValueError for other JSON."""
    text = text.strip()
    if text.startswith("["):
        value = json.loads(text)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("a JSON list must hold only names (strings)")
        return [v.strip() for v in value if v.strip()]
    return [n.strip().strip("\"'") for n in text.replace("\n", ",").split(",") if n.strip()]


class NameListField(forms.CharField):
    """Shown as `a, b`; accepts a JSON list or comma-separated names; cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60, "autocomplete": "off"}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        try:
            return parse_names(super().to_python(value) or "")
        except ValueError as exc:
            raise forms.ValidationError(
                f"Enter names separated by commas, or a JSON list of names ({exc}).",
                code="invalid_names",
            ) from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial or []) != self.to_python(data)
        except forms.ValidationError:
            return True
