"""API body parsing: DRF's JSON parser, refusing what the database cannot store."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from hub.lib.nul import contains_nul


class JSONParser(parsers.JSONParser):
    """A NUL character (\\u0000) is valid JSON but PostgreSQL refuses it: a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError("JSON parse error - strings may not contain NUL (\\u0000) characters.")
        return data
