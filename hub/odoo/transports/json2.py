"""JSON-2 transport (Odoo 19+): POST /json/2/<model>/<method> with a bearer API key.

Every request goes through hub.lib.http (the one outbound HTTP stack). Odoo's error bodies
``{name, message, arguments, context, debug}`` and statuses map to the same typed errors as
XML-RPC faults. No XML-RPC call is made: the version comes from GET /web/version and the uid
from res.users/context_get.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, ClassVar

from hub.lib import http
from hub.odoo.errors import (
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
from hub.odoo.transports import odoo_value
from hub.odoo.wire import DEFAULT_MAX_BYTES

# execute_kw's positional arguments by name (JSON-2 takes named parameters only). Record
# methods take the record ids first: they travel as "ids".
PARAMETERS: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "read": ("ids", "fields"),
    "write": ("ids", "vals"),
    "unlink": ("ids",),
    "create": ("vals_list",),
    "fields_get": ("allfields", "attributes"),
    "context_get": (),
}
ERRORS_422: dict[str, type[OdooError]] = {
    "odoo.exceptions.MissingError": OdooMissingError,
    "odoo.exceptions.ValidationError": OdooValidationError,
}


def named_parameters(method: str, args: list, kwargs: dict) -> dict[str, Any]:
    """The JSON-2 body for an execute_kw-shaped call."""
    names = PARAMETERS.get(method, ())
    if len(args) > len(names):
        raise OdooProtocolError(f"JSON-2 needs named parameters for {method}: pass them as kwargs")
    body = dict(zip(names, args, strict=False)) | dict(kwargs)
    if not body.get("context"):
        body.pop("context", None)
    return odoo_value(body)


def _odoo_error(status: int, body: Any) -> OdooError | None:
    """The typed error for an Odoo JSON error body, or None when the body is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    name, message = str(body.get("name") or ""), body["message"].strip() or f"HTTP {status}"
    detail = str(body.get("debug") or "")
    if status == 401:
        return OdooAuthError(f"Odoo refused the API key ({message})", detail=detail)
    if status == 403:
        return OdooAccessError(message, detail=detail)
    if status == 404:
        return OdooUserError(message, detail=detail)
    if status in (400, 422):
        return ERRORS_422.get(name, OdooUserError)(message, detail=detail)
    if status == 500:
        short = name.rsplit(".", 1)[-1]
        return OdooServerError(f"{short}: {message}" if short else message, detail=detail)
    return None


class Json2Transport:
    name: ClassVar[str] = "json2"
    needs_uid: ClassVar[bool] = False  # every request carries the API key

    def __init__(
        self,
        *,
        url: str,
        database: str,
        api_key: str,
        timeout: float,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.url = url.strip().rstrip("/")
        self.database, self._api_key = database, api_key
        self.timeout, self.max_bytes = timeout, max_bytes

    def close(self) -> None:
        pass  # hub.lib.http pools connections per thread

    def _send(self, method: str, path: str, body: bytes | None = None) -> http.HttpResult:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            headers["Authorization"] = f"bearer {self._api_key}"
            if self.database:
                headers["X-Odoo-Database"] = self.database
        # The Odoo URL is configured by an operator, like the XML-RPC one: private is fine.
        result = http.send(
            method=method,
            url=self.url + path,
            headers=headers,
            body=body,
            timeout=self.timeout,
            allow_private=True,
            max_bytes=self.max_bytes,
        )
        if result.status is None:
            if result.outcome is not http.Outcome.RETRY:
                raise OdooProtocolError(f"cannot call Odoo at {self.url}: {result.error}")
            if result.error.startswith("timeout"):
                raise OdooUnavailable(f"Odoo did not answer within {self.timeout:g} s")
            raise OdooUnavailable(f"cannot reach Odoo at {self.url}: {result.error}")
        if result.error.startswith("error reading"):  # the connection broke mid-answer
            raise OdooUnavailable(f"Odoo at {self.url}: {result.error}")
        if result.truncated:
            raise OdooBadResponse(f"JSON-2 answer larger than {self.max_bytes} bytes")
        return result

    def _json(self, result: http.HttpResult, where: str) -> Any:
        try:
            return json.loads(result.body)
        except ValueError:
            if result.status == 200:
                raise OdooBadResponse(f"{where}: the answer is not JSON") from None
            return None

    def call(self, model: str, method: str, body: dict[str, Any]) -> Any:
        path = f"/json/2/{urllib.parse.quote(model)}/{urllib.parse.quote(method)}"
        where = f"{model}/{method}"
        try:
            data = json.dumps(body, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise OdooUserError(f"{where}: values cannot be sent as JSON ({exc})") from None
        result = self._send("POST", path, data)
        payload = self._json(result, where)
        if result.status == 200:
            return payload
        error = _odoo_error(result.status or 0, payload)
        if error is not None:
            raise error
        text = f"HTTP {result.status} from {self.url}{path}"
        if result.outcome is http.Outcome.RETRY:
            raise OdooUnavailable(text)
        if result.status and 300 <= result.status < 400:
            raise OdooProtocolError(f"{text}: {result.error} (use the final URL of Odoo)")
        raise OdooProtocolError(f"{text}: not an Odoo JSON-2 endpoint")

    def probe_version(self) -> dict[str, Any] | None:
        """GET /web/version in XML-RPC's shape; None when the server has no such page."""
        result = self._send("GET", "/web/version")
        if result.status in (408, 429, 502, 503, 504):  # a proxy in front of a busy server
            raise OdooUnavailable(f"HTTP {result.status} from {self.url}/web/version")
        try:
            info = json.loads(result.body) if result.status == 200 else None
        except ValueError:
            return None  # an HTML page: not an Odoo with /web/version
        if not isinstance(info, dict):
            return None
        version = info.get("version") or info.get("server_version")
        version_info = info.get("version_info") or info.get("server_version_info") or []
        if not isinstance(version, str):
            return None
        return {"server_version": version, "server_version_info": list(version_info)}

    def version(self) -> dict[str, Any]:
        info = self.probe_version()
        if info is None:
            raise OdooProtocolError(f"{self.url}/web/version did not give the Odoo version")
        return info

    def login(self) -> int:
        context = self.call("res.users", "context_get", {})
        uid = context.get("uid") if isinstance(context, dict) else None
        if not isinstance(uid, int) or isinstance(uid, bool):
            raise OdooBadResponse(f"res.users/context_get answered no uid: {context!r:.200}")
        return uid

    def execute_kw(
        self, model: str, method: str, args: list, kwargs: dict, *, uid: int | None
    ) -> Any:
        return self.call(model, method, named_parameters(method, list(args), dict(kwargs)))
