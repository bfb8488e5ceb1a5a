"""Import user-named code only when an allow-list setting names it (hooks, inbound handlers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


def import_listed(path: str, *, setting: str) -> Callable[..., Any]:
    """The callable at `path`, if the `setting` list names it; ValueError says what is wrong."""
    if path not in getattr(settings, setting):
        raise ValueError(f"{path!r} is not listed in the {setting} setting")
    try:
        fn = import_string(path)
    except ImportError as exc:
        raise ValueError(f"{path!r} cannot be imported: {exc}") from None
    if not callable(fn):
        raise ValueError(f"{path!r} is not callable")
    return fn
