"""XML-RPC wire format, parsed with defusedxml: no entities, no external references, size-capped.

Used by the client (responses) and the push endpoint (requests). Nothing here patches the
stdlib globally: parsers are built per message from defusedxml's DefusedExpatParser.
"""

from __future__ import annotations

import gzip as gzip_module
import http.client
import xmlrpc.client
from typing import Any

from defusedxml.xmlrpc import DefusedExpatParser, DefusedGzipDecodedResponse

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # an Odoo page of records can be large; a bomb cannot
CHUNK = 64 * 1024


class WireError(ValueError):
    """The message is not acceptable XML-RPC (malformed, too large, entities, DTD tricks)."""


def parser() -> tuple[DefusedExpatParser, xmlrpc.client.Unmarshaller]:
    unmarshaller = xmlrpc.client.Unmarshaller(use_datetime=False, use_builtin_types=False)
    return DefusedExpatParser(unmarshaller), unmarshaller


def read_message(
    stream: http.client.HTTPResponse, *, gzip: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> Any:
    """Parse a response stream; a Fault in it is raised as xmlrpc.client.Fault.

    Socket and HTTP errors while reading pass through (the caller knows them as network
    trouble); anything else that goes wrong is the message's fault and becomes a WireError.
    """
    try:
        source = DefusedGzipDecodedResponse(stream, limit=max_bytes) if gzip else stream
        p, u = parser()
        total = 0
        while chunk := source.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise WireError(f"XML-RPC message larger than {max_bytes} bytes")
            p.feed(chunk)
        p.close()
        return u.close()
    except (WireError, xmlrpc.client.Fault):
        raise
    except gzip_module.BadGzipFile as exc:  # an OSError, but the message's fault
        raise WireError(f"malformed gzip body: {exc}") from exc
    except (OSError, http.client.HTTPException):
        raise
    except Exception as exc:
        # Not only ExpatError/defusedxml refusals: the stdlib unmarshaller raises IndexError,
        # TypeError, KeyError... on well-formed XML of the wrong shape (a member without name).
        raise WireError(f"unsafe or malformed XML-RPC message: {exc!r}") from exc


def loads_request(data: bytes) -> tuple[tuple, str | None]:
    """Parse a request body: (params, method name). Any failure is a WireError."""
    try:
        p, u = parser()
        p.feed(data)
        p.close()
        return u.close(), u.getmethodname()
    except Exception as exc:
        # Untrusted input: whatever the parser or unmarshaller raises is bad input, never a 500.
        raise WireError(f"unsafe or malformed XML-RPC request: {exc!r}") from exc


def dumps_response(value: Any) -> bytes:
    return xmlrpc.client.dumps((value,), methodresponse=True, allow_none=False).encode()


def dumps_fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True).encode()
