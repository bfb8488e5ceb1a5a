"""The Odoo XML-RPC client: the only code that calls Odoo. Timeouts, keep-alive, typed errors.

One client holds one HTTP connection (reused across calls: keep-alive) and is not thread-safe:
make one per task. Responses are parsed with defusedxml (hub.odoo.wire), never the stdlib's
expat defaults, without patching xmlrpc.client for the rest of the process.
"""

from __future__ import annotations

import http.client
import ssl
import urllib.parse
import xmlrpc.client
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings

from hub.odoo.wire import DEFAULT_MAX_BYTES, WireError, read_message

if TYPE_CHECKING:
    from hub.models import OdooConnection

READ_CHUNK = 2000  # ids per read call: bounds a message, keeps calls per model at ~1
DEFAULT_FIELDS_ATTRS = ("string", "type", "relation", "required", "readonly", "store")


class OdooError(Exception):
    """Base class. `transient` errors are worth retrying later (network, 5xx, timeouts)."""

    code: int | None = None
    transient = False

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # e.g. the server traceback of a fault 1: logs only, never the UI


class OdooServerError(OdooError):
    code = 1


class OdooUserError(OdooError):
    """Fault 2: validation error, missing record, unknown model ("Object x doesn't exist")."""

    code = 2


class OdooAccessDenied(OdooError):
    """Fault 3: wrong password or API key."""

    code = 3


class OdooAuthError(OdooAccessDenied):
    """authenticate() answered False: wrong database, login, password or API key."""


class OdooAccessError(OdooError):
    """Fault 4: the user may not read/write this model or record."""

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
    return FAULTS.get(code, OdooServerError)(message, detail=text)


def _odoo_value(value: Any) -> Any:
    """Odoo writes "empty" as False; None is not marshallable (and means nothing to Odoo)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {k: _odoo_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_odoo_value(v) for v in value]
    return value


def _given(**options: Any) -> dict[str, Any]:
    """Keyword arguments for execute_kw without the empty ones (Odoo's defaults apply)."""
    return {name: value for name, value in options.items() if value}


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
        if self._connection and host == self._connection[0]:
            return self._connection[1]
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


class OdooClient:
    def __init__(
        self,
        *,
        url: str,
        database: str,
        username: str,
        secret: str,
        timeout: float = 30.0,
        uid: int | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OdooProtocolError(f"Odoo URL must be http(s)://host[:port], got {url!r}")
        self.url = url
        self.database, self.username, self._secret = database, username, secret
        self.uid = uid
        self._host = parts.netloc
        self._prefix = parts.path.rstrip("/")  # Odoo may live under a path behind a proxy
        self._transport = HubTransport(
            timeout=timeout, https=parts.scheme == "https", max_bytes=max_bytes
        )

    @classmethod
    def for_connection(cls, conn: OdooConnection) -> OdooClient:
        return cls(
            url=conn.url,
            database=conn.database,
            username=conn.username,
            secret=conn.credential,
            timeout=float(conn.timeout or 30),
            uid=conn.uid,
        )

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> OdooClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- protocol ------------------------------------------------------------------------------
    def _call(self, service: str, method: str, *params: Any) -> Any:
        handler = f"{self._prefix}/xmlrpc/2/{service}"
        try:
            body = xmlrpc.client.dumps(tuple(_odoo_value(list(params))), method, allow_none=False)
            response = self._transport.request(self._host, handler, body.encode("utf-8"))
        except xmlrpc.client.Fault as fault:
            raise fault_error(fault) from None
        except xmlrpc.client.ProtocolError as exc:
            status = exc.errcode
            text = f"HTTP {status} {exc.errmsg} from {self.url}{handler}"
            if status >= 500 or status in (408, 429):
                raise OdooUnavailable(text) from None
            raise OdooProtocolError(text) from None
        except WireError as exc:
            self._transport.close()
            raise OdooBadResponse(str(exc)) from None
        except TimeoutError:
            self._transport.close()
            raise OdooUnavailable(
                f"Odoo did not answer within {self._transport.timeout:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            self._transport.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else repr(exc)
            raise OdooUnavailable(f"cannot reach Odoo at {self.url}: {reason}") from None
        return response[0] if len(response) == 1 else response

    def version(self) -> dict[str, Any]:
        return self._call("common", "version")

    def authenticate(self) -> int:
        uid = self._call("common", "authenticate", self.database, self.username, self._secret, {})
        if not uid:
            raise OdooAuthError(
                f"Odoo refused the login {self.username!r} on database {self.database!r}: "
                "wrong login, password or API key"
            )
        self.uid = int(uid)
        return self.uid

    def execute_kw(
        self, model: str, method: str, args: list | None = None, kwargs: dict | None = None
    ) -> Any:
        reauthenticated = self.uid is None
        if self.uid is None:
            self.authenticate()
        params = (model, method, list(args or []), dict(kwargs or {}))
        try:
            return self._call(
                "object", "execute_kw", self.database, self.uid, self._secret, *params
            )
        except OdooAccessDenied:
            if reauthenticated:
                raise
            # A cached uid may be stale (credentials or user changed): log in again, once.
            # Safe to repeat: Odoo checks credentials before running the method.
            self.authenticate()
            return self._call(
                "object", "execute_kw", self.database, self.uid, self._secret, *params
            )

    # --- helpers -------------------------------------------------------------------------------
    def search_read(
        self,
        model: str,
        domain: list,
        fields: Iterable[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: dict | None = None,
    ) -> list[dict[str, Any]]:
        kwargs = {"fields": list(fields), "offset": offset}
        kwargs |= _given(limit=limit, order=order, context=context)
        return self.execute_kw(model, "search_read", [domain], kwargs)

    def search_read_pages(
        self,
        model: str,
        domain: list,
        fields: Iterable[str],
        *,
        batch_size: int = 500,
        context: dict | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages in id order, keyed on the last id (not offsets: safe while records change)."""
        last_id = 0
        fields = list(fields)
        while True:
            page = self.search_read(
                model,
                [("id", ">", last_id), *domain],
                fields,
                limit=batch_size,
                order="id asc",
                context=context,
            )
            if page:
                yield page
            if len(page) < batch_size:
                return
            last_id = page[-1]["id"]

    def search(
        self,
        model: str,
        domain: list,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: dict | None = None,
    ) -> list[int]:
        kwargs = {"offset": offset, **_given(limit=limit, order=order, context=context)}
        return self.execute_kw(model, "search", [domain], kwargs)

    def search_count(self, model: str, domain: list, *, context: dict | None = None) -> int:
        return self.execute_kw(model, "search_count", [domain], {"context": context or {}})

    def read(
        self, model: str, ids: Iterable[int], fields: Iterable[str], *, context: dict | None = None
    ) -> list[dict[str, Any]]:
        """Read records; ids that no longer exist are silently missing from the result (Odoo)."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        fields = list(fields)
        rows: list[dict[str, Any]] = []
        kwargs = {"fields": fields, **_given(context=context)}
        for start in range(0, len(ids), READ_CHUNK):
            rows.extend(self.execute_kw(model, "read", [ids[start : start + READ_CHUNK]], kwargs))
        return rows

    def read_related(
        self, model: str, ids: Iterable[int], fields: Iterable[str]
    ) -> dict[int, dict[str, Any]]:
        """Related records by id, in one call per model (per READ_CHUNK ids)."""
        return {row["id"]: row for row in self.read(model, ids, fields)}

    def create(self, model: str, values: dict[str, Any]) -> int:
        return int(self.execute_kw(model, "create", [values]))

    def write(self, model: str, ids: Iterable[int], values: dict[str, Any]) -> bool:
        return bool(self.execute_kw(model, "write", [list(ids), values]))

    def unlink(self, model: str, ids: Iterable[int]) -> bool:
        return bool(self.execute_kw(model, "unlink", [list(ids)]))

    def fields_get(
        self, model: str, attributes: Iterable[str] = DEFAULT_FIELDS_ATTRS
    ) -> dict[str, dict[str, Any]]:
        return self.execute_kw(model, "fields_get", [], {"attributes": list(attributes)})
