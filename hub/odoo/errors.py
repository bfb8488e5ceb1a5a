"""Typed errors of the Odoo connector, the same whichever transport carried the call."""

from __future__ import annotations


class OdooError(Exception):
    """Base class. `transient` errors are worth retrying later (network, 5xx, timeouts)."""

    code: int | None = None
    transient = False

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # e.g. the server traceback of a fault 1: logs only, never the UI


class OdooServerError(OdooError):
    """An unexpected exception inside Odoo (XML-RPC fault 1, JSON-2 500 with an error body)."""

    code = 1


class OdooUserError(OdooError):
    """Odoo refused the call: validation error, missing record, unknown model or method."""

    code = 2


class OdooMissingError(OdooUserError):
    """The record does not exist or has been deleted."""


class OdooValidationError(OdooUserError):
    """A constraint or a required field refused the values."""


class OdooAccessDenied(OdooError):
    """Fault 3 / HTTP 401: wrong password or API key."""

    code = 3


class OdooAuthError(OdooAccessDenied):
    """The login was refused: wrong database, login, password or API key."""


class OdooAccessError(OdooError):
    """Fault 4 / HTTP 403: the user may not read/write this model or record."""

    code = 4


class OdooUnavailable(OdooError):
    """Network error, timeout, connection refused, HTTP 5xx/408/429."""

    transient = True


class OdooProtocolError(OdooError):
    """Not an Odoo endpoint (wrong URL, HTTP 404) or a URL the hub cannot use."""


class OdooBadResponse(OdooProtocolError):
    """An answer the hub cannot parse (malformed, unsafe, too large): retried later, since a
    proxy page or a truncated body is usually a passing state of the server or network."""

    transient = True


MISSING_MESSAGE = "does not exist or has been deleted"  # Odoo's MissingError text
