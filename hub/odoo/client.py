"""The Odoo client: ORM-level calls, login, typed errors. The only code that calls Odoo.

The wire protocol lives in hub.odoo.transports (XML-RPC, JSON-2); the client picks one from
the connection's `protocol` and the server's version, lazily on the first call. One client is
not thread-safe: make one per task.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from hub.odoo.errors import (
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
    OdooValidationError,
)
from hub.odoo.transports import JSON2_SINCE, PROTOCOLS, Transport, major_version
from hub.odoo.transports.json2 import Json2Transport
from hub.odoo.transports.xmlrpc import XmlRpcTransport, fault_error
from hub.odoo.wire import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from hub.odoo.echo import Recorder
    from hub.odoo.models import OdooConnection

READ_CHUNK = 2000  # ids per read call: bounds a message, keeps calls per model at ~1
DEFAULT_FIELDS_ATTRS = ("string", "type", "relation", "required", "readonly", "store")

__all__ = [
    "OdooAccessDenied",
    "OdooAccessError",
    "OdooAuthError",
    "OdooBadResponse",
    "OdooClient",
    "OdooError",
    "OdooMissingError",
    "OdooProtocolError",
    "OdooServerError",
    "OdooUnavailable",
    "OdooUserError",
    "OdooValidationError",
    "fault_error",
]


def _given(**options: Any) -> dict[str, Any]:
    """Keyword arguments for execute_kw without the empty ones (Odoo's defaults apply)."""
    return {name: value for name, value in options.items() if value}


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
        protocol: str = "auto",
        secret_is_api_key: bool = False,
        version: str = "",
    ) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise OdooProtocolError(f"Odoo URL must be http(s)://host[:port], got {url!r}")
        if protocol not in PROTOCOLS:
            raise OdooProtocolError(f"unknown Odoo protocol {protocol!r}: use {PROTOCOLS}")
        self.url = url
        self.database, self.username, self._secret = database, username, secret
        self.uid = uid
        self.protocol, self.secret_is_api_key = protocol, secret_is_api_key
        self.known_version = version  # the version seen before (decides "auto" without a call)
        self._timeout, self._max_bytes = float(timeout), max_bytes
        self._transport: Transport | None = None
        self._version_info: dict[str, Any] | None = None
        # Records every create/write for exact echo suppression (set by for_connection).
        self.echo: Recorder | None = None

    @classmethod
    def for_connection(cls, conn: OdooConnection, *, redetect: bool = False) -> OdooClient:
        """The client for a connection; `redetect` ignores the stored version (Test connection).
        Its creates and writes are recorded (hub.odoo.echo) so the poller does not echo them."""
        from hub.odoo.echo import Recorder

        client = cls(
            url=conn.url,
            database=conn.database,
            username=conn.username,
            secret=conn.credential,
            timeout=float(conn.timeout or 30),
            uid=conn.uid,
            protocol=conn.protocol or "auto",
            secret_is_api_key=bool(conn.api_key),
            version="" if redetect else conn.version,
        )
        client.echo = Recorder(conn.pk)
        return client

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def __enter__(self) -> OdooClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport -----------------------------------------------------------------------------
    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = self._choose_transport()
        return self._transport

    @property
    def transport_name(self) -> str:
        return self.transport.name

    @property
    def chosen_transport(self) -> str:
        """The transport's name if one was chosen already ("" otherwise; never a call)."""
        return self._transport.name if self._transport is not None else ""

    def _xmlrpc(self) -> XmlRpcTransport:
        return XmlRpcTransport(
            url=self.url,
            database=self.database,
            username=self.username,
            secret=self._secret,
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )

    def _json2(self) -> Json2Transport:
        return Json2Transport(
            url=self.url,
            database=self.database,
            api_key=self._secret,
            timeout=self._timeout,
            max_bytes=self._max_bytes,
        )

    def _choose_transport(self) -> Transport:
        """JSON-2 for Odoo 19+ with an API key, XML-RPC otherwise (or as the connection says)."""
        if self.protocol == "xmlrpc":
            return self._xmlrpc()
        if self.protocol == "json2":
            if not self.secret_is_api_key:
                raise OdooProtocolError("JSON-2 needs an API key: set one on the connection")
            return self._json2()
        if not self.secret_is_api_key:
            return self._xmlrpc()  # JSON-2 accepts API keys only
        major = major_version(self.known_version)
        if major is not None:
            return self._json2() if major >= JSON2_SINCE else self._xmlrpc()
        json2 = self._json2()
        info = json2.probe_version()  # GET /web/version: never an XML-RPC call
        major = major_version(str(info.get("server_version") or "")) if info else None
        if info is not None and major is not None and major >= JSON2_SINCE:
            self._version_info = info
            return json2
        return self._xmlrpc()

    # --- protocol ------------------------------------------------------------------------------
    def version(self) -> dict[str, Any]:
        """{"server_version": ..., "server_version_info": [...]} whatever the transport."""
        transport = self.transport
        if self._version_info is None:
            self._version_info = transport.version()
        return self._version_info

    def authenticate(self) -> int:
        self.uid = self.transport.login()
        return self.uid

    def execute_kw(
        self, model: str, method: str, args: list | None = None, kwargs: dict | None = None
    ) -> Any:
        transport = self.transport
        args, kwargs = list(args or []), dict(kwargs or {})
        if not transport.needs_uid:
            return transport.execute_kw(model, method, args, kwargs, uid=self.uid)
        reauthenticated = self.uid is None
        if self.uid is None:
            self.authenticate()
        try:
            return transport.execute_kw(model, method, args, kwargs, uid=self.uid)
        except OdooAccessDenied:
            if reauthenticated:
                raise
            # A cached uid may be stale (credentials or user changed): log in again, once.
            # Safe to repeat: Odoo checks credentials before running the method.
            self.authenticate()
            return transport.execute_kw(model, method, args, kwargs, uid=self.uid)

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
        pending = self.echo.before(model, None) if self.echo else []
        try:
            result = self.execute_kw(model, "create", [values])
            if isinstance(result, list) and len(result) == 1:
                result = result[0]  # JSON-2 answers a created recordset as its ids
            if not isinstance(result, int) or isinstance(result, bool):
                raise OdooBadResponse(f"{model}.create answered {result!r:.100}, not an id")
        except BaseException:
            if self.echo:
                self.echo.failed(pending)
            raise
        if self.echo:
            self.echo.after(self, pending, model=model, ids=[result], values=values)
        return result

    def write(self, model: str, ids: Iterable[int], values: dict[str, Any]) -> bool:
        ids = list(ids)
        pending = self.echo.before(model, ids) if self.echo else []
        try:
            done = bool(self.execute_kw(model, "write", [ids, values]))
        except BaseException:
            if self.echo:
                self.echo.failed(pending)
            raise
        if self.echo:
            self.echo.after(self, pending, model=model, ids=ids, values=values)
        return done

    def unlink(self, model: str, ids: Iterable[int]) -> bool:
        return bool(self.execute_kw(model, "unlink", [list(ids)]))

    def fields_get(
        self, model: str, attributes: Iterable[str] = DEFAULT_FIELDS_ATTRS
    ) -> dict[str, dict[str, Any]]:
        return self.execute_kw(model, "fields_get", [], {"attributes": list(attributes)})
