"""XML-RPC transport (/xmlrpc/2/common and /object): timeouts, keep-alive, defusedxml, faults.

One transport holds one HTTP connection (reused across calls: keep-alive) and is not
thread-safe. Responses are parsed with defusedxml (hub.odoo.wire), never the stdlib's expat
defaults, without patching xmlrpc.client for the rest of the process.
"""

from __future__ import annotations

import http.client
import ssl
import urllib.parse
import xmlrpc.client
from typing import Any, ClassVar

from django.conf import settings

from hub.odoo.errors import (
    MISSING_MESSAGE,
    OdooAccessDenied,
    OdooAccessError,
    OdooAuthError,
    OdooBadResponse,
    OdooError,
    OdooMissingError,
    OdooProtocolError,
    OdooServerError,
    OdooUnavailable,
    OdooUserError,
)
from hub.odoo.transports import odoo_value
from hub.odoo.wire import DEFAULT_MAX_BYTES, WireError, read_message

FAULTS: dict[int, type[OdooError]] = {
    1: OdooServerError,
    2: OdooUserError,
    3: OdooAccessDenied,
    4: OdooAccessError,
}


def fault_error(fault: xmlrpc.client.Fault) -> OdooError:
    """A typed error carrying Odoo's message (a fault 1's traceback is reduced to its last line)."""
    code = fault.faultCode if isinstance(fault.faultCode, int) else 1
    text = str(fault.faultString or "").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    if code == 1 and text.startswith("Traceback") and lines:
        message = lines[-1].strip()
    else:
        message = text or f"Odoo fault {fault.faultCode}"
    kind = FAULTS.get(code, OdooServerError)
    if code == 2 and MISSING_MESSAGE in text:
        kind = OdooMissingError  # XML-RPC folds every user error into fault 2
    return kind(message, detail=text)


class HubTransport(xmlrpc.client.Transport):
    """stdlib Transport + a timeout on every socket operation + defusedxml + a size cap."""

    def __init__(
        self,
        *,
        timeout: float,
        https: bool,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.https = https
        self.max_bytes = max_bytes
        self.ssl_context = ssl_context
        self.user_agent = f"webhook-hub/{getattr(settings, 'HUB_VERSION', '0')}"

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        # The stdlib keeps one connection per transport and reuses it (HTTP/1.1 keep-alive).
        cached_host, cached = self._connection
        if cached is not None and host == cached_host:
            return cached
        chost, self._extra_headers, _x509 = self.get_host_info(host)
        if self.https:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                chost, timeout=self.timeout, context=self.ssl_context
            )
        else:
            conn = http.client.HTTPConnection(chost, timeout=self.timeout)
        self._connection = host, conn
        return conn

    def parse_response(self, response: http.client.HTTPResponse) -> tuple:
        gzipped = response.getheader("Content-Encoding", "") == "gzip"
        return read_message(response, gzip=gzipped, max_bytes=self.max_bytes)


class XmlRpcTransport:
    name: ClassVar[str] = "xmlrpc"
    needs_uid: ClassVar[bool] = True

    def __init__(
        self,
        *,
        url: str,
        database: str,
        username: str,
        secret: str,
        timeout: float,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        self.url = url
        self.database, self.username, self._secret = database, username, secret
        self._host = parts.netloc
        self._prefix = parts.path.rstrip("/")  # Odoo may live under a path behind a proxy
        self._http = HubTransport(
            timeout=timeout, https=parts.scheme == "https", max_bytes=max_bytes
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, service: str, method: str, *params: Any) -> Any:
        handler = f"{self._prefix}/xmlrpc/2/{service}"
        try:
            body = xmlrpc.client.dumps(tuple(odoo_value(list(params))), method, allow_none=False)
            response = self._http.request(self._host, handler, body.encode("utf-8"))
        except xmlrpc.client.Fault as fault:
            raise fault_error(fault) from None
        except xmlrpc.client.ProtocolError as exc:
            status = exc.errcode
            text = f"HTTP {status} {exc.errmsg} from {self.url}{handler}"
            if status >= 500 or status in (408, 429):
                raise OdooUnavailable(text) from None
            raise OdooProtocolError(text) from None
        except WireError as exc:
            self._http.close()
            raise OdooBadResponse(str(exc)) from None
        except TimeoutError:
            self._http.close()
            raise OdooUnavailable(f"Odoo did not answer within {self._http.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            self._http.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else repr(exc)
            raise OdooUnavailable(f"cannot reach Odoo at {self.url}: {reason}") from None
        return response[0] if len(response) == 1 else response

    def version(self) -> dict[str, Any]:
        info = self._call("common", "version")
        if not isinstance(info, dict):
            raise OdooBadResponse(f"version() answered {type(info).__name__}, not a struct")
        return info

    def login(self) -> int:
        uid = self._call("common", "authenticate", self.database, self.username, self._secret, {})
        if not uid:
            raise OdooAuthError(
                f"Odoo refused the login {self.username!r} on database {self.database!r}: "
                "wrong login, password or API key"
            )
        if not isinstance(uid, int):
            raise OdooBadResponse(f"authenticate() answered {uid!r}, not a user id")
        return uid

    def execute_kw(
        self, model: str, method: str, args: list, kwargs: dict, *, uid: int | None
    ) -> Any:
        params = (model, method, list(args), dict(kwargs))
        return self._call("object", "execute_kw", self.database, uid, self._secret, *params)
