"""API error handling: validation errors are 400 with field messages, never a 500."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RecursionError):
        # Only a client's body nested thousands of levels deep gets here (the JSON parser and
        # the JSON fields recurse); the parser raises it as is instead of a ParseError.
        exc = exceptions.ParseError("JSON parse error - the body is nested too deeply.")
    elif isinstance(exc, DjangoValidationError):
        exc = serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return drf_exception_handler(exc, context)
