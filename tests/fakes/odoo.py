"""A fake Odoo on 127.0.0.1 speaking real XML-RPC (/xmlrpc/2/common, /xmlrpc/2/object) and, as
Odoo 19+ does, JSON-2 (POST /json/2/<model>/<method>, GET /web/version) with Odoo's statuses
and error bodies; `FakeOdoo(xmlrpc=False)` answers 404 on /xmlrpc/* as a server without it.

Behaviours scripted by tests: faults 1-4, second-resolution write_date with microseconds kept
internally, several writes in one second (freeze/tick the clock), a late-committing transaction
with an early write_date (`begin()` ... `commit()`), archived records, deletes, Odoo 16-18 vs
19 datetime `>` semantics (`version=`), a down server (`set_down("500" | "reset" | "hang" |
"refuse")`), a raw response body, call and connection counting.

JSON-2 errors: 401 bad key, 403 access, 404 unknown model or method (or database), 422 user,
validation and missing-record errors, 500 other exceptions; the body is Odoo's
``{name, message, arguments, context, debug}``.

Fixtures (exposed to a test package with ``pytest_plugins = ["tests.fakes.odoo"]``):
``fake_odoo`` (a started server) and ``odoo_conn`` (an OdooConnection row pointing at it).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any
from xmlrpc.client import Fault
from xmlrpc.server import MultiPathXMLRPCServer, SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

import pytest

from tests.fakes.odoo_store import OdooFault, Store, parse_dt, server_error

DB = "odoo_test"
ADMIN_UID, HUB_UID = 2, 6
HUB_LOGIN, HUB_PASSWORD, HUB_API_KEY = "hub", "hub-pass", "hub-api-key-0123456789"
USERS: dict[int, dict[str, Any]] = {
    1: {"name": "OdooBot", "login": "__system__", "password": None, "api_keys": []},
    ADMIN_UID: {"name": "Mitchell Admin", "login": "admin", "password": "admin", "api_keys": []},
    HUB_UID: {
        "name": "Webhook Hub",
        "login": HUB_LOGIN,
        "password": HUB_PASSWORD,
        "api_keys": [HUB_API_KEY],
    },
}


@dataclass(frozen=True)
class Call:
    service: str  # "common" or "object" (XML-RPC), "json2", or "web" (GET /web/version)
    method: str  # version / authenticate / execute_kw
    model: str = ""
    odoo_method: str = ""  # search_read, read, ...


def _bind(args: list, kwargs: dict, names: tuple[str, ...], defaults: dict) -> dict[str, Any]:
    bound = dict(defaults)
    bound.update(zip(names, args, strict=False))
    bound.update({k: v for k, v in kwargs.items() if k != "context"})
    return bound


class _Dispatcher(SimpleXMLRPCDispatcher):
    def __init__(self, fake: FakeOdoo, service: str) -> None:
        super().__init__(allow_none=False, encoding="utf-8", use_builtin_types=False)
        self.fake, self.service = fake, service

    def _dispatch(self, method: str, params: Iterable[Any]) -> Any:
        try:
            return self.fake.dispatch(self.service, method, list(params))
        except OdooFault as exc:
            raise exc.fault() from None


class _Handler(SimpleXMLRPCRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like Odoo's werkzeug server
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK (~40 ms on loopback) on every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake.connections_opened += 1
        self.server.fake.open_sockets.append(self.connection)

    def _down(self) -> bool:
        """Apply the scripted failure mode; True when the request got its (non-)answer."""
        fake: FakeOdoo = self.server.fake
        if fake.mode == "hang":
            fake.release.wait(fake.hang_seconds)
        if fake.mode == "500":
            self._reply(500, b"<html><body>Internal Server Error</body></html>", "text/html")
            return True
        if fake.mode == "reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fake.raw_response is not None:
            self._reply(200, fake.raw_response, "text/xml")
            return True
        return False

    def do_POST(self) -> None:  # noqa: N802
        fake: FakeOdoo = self.server.fake
        if self._down():
            return
        if self.path.startswith("/json/2/") and fake.store.major >= 19:
            self._json2(fake)
            return
        if not fake.xmlrpc or not self.path.startswith("/xmlrpc/"):
            self._reply(404, b"<html><body>404: Not Found</body></html>", "text/html")
            return
        super().do_POST()

    def do_GET(self) -> None:  # noqa: N802
        fake: FakeOdoo = self.server.fake
        if self._down():
            return
        if self.path.split("?")[0] != "/web/version":
            self._reply(404, b"<html><body>404: Not Found</body></html>", "text/html")
            return
        fake.record_call(Call("web", "version"))
        info = fake.version()
        body = {"version": info["server_version"], "version_info": info["server_version_info"]}
        self._reply(200, json.dumps(body).encode(), "application/json")

    def _json2(self, fake: FakeOdoo) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        _root, _json, _two, model, method = ([*self.path.split("?")[0].split("/"), "", ""])[:5]
        try:
            params = json.loads(raw or b"{}")
            if not isinstance(params, dict):
                raise OdooFault(2, "the body must be a JSON object", name=BAD_REQUEST)
            status, body = (
                200,
                fake.json2(
                    model,
                    method,
                    params,
                    self.headers.get("Authorization", ""),
                    self.headers.get("X-Odoo-Database", ""),
                ),
            )
        except ValueError:
            status, body = _json2_error(OdooFault(2, "invalid JSON", name=BAD_REQUEST))
        except OdooFault as exc:
            status, body = _json2_error(exc)
        self._send_json(status, body)

    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


BAD_REQUEST = "werkzeug.exceptions.BadRequest"
NOT_FOUND = "werkzeug.exceptions.NotFound"
UNAUTHORIZED = "werkzeug.exceptions.Unauthorized"


def _json2_error(exc: OdooFault) -> tuple[int, dict[str, Any]]:
    """Odoo 19's JSON-2 error answer: the status by exception, the serialised exception."""
    if exc.name == NOT_FOUND:
        status = 404
    elif exc.name == BAD_REQUEST:
        status = 400
    else:
        status = {1: 500, 2: 422, 3: 401, 4: 403}.get(exc.code, 500)
    message = getattr(exc, "short", "") or exc.message
    debug = exc.message if exc.code == 1 else ""
    body: dict[str, Any] = {
        "name": exc.name,
        "message": message,
        "arguments": [message],
        "context": {},
    }
    return status, {**body, "debug": debug}


class _Server(ThreadingMixIn, MultiPathXMLRPCServer):
    fake: FakeOdoo
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and went away is expected in tests


class LateTransaction:
    """Changes made "inside" a transaction: stamped with its start time, visible on commit."""

    def __init__(self, fake: FakeOdoo, uid: int) -> None:
        self.fake, self.uid = fake, uid
        self.start = fake.store.now()
        self.ops: list[tuple] = []

    def create(self, model: str, vals: dict[str, Any]) -> int:
        rid = self.fake.store.alloc_id(model)  # sequences are not transactional: a low id now
        self.ops.append(("create", model, vals, rid))
        return rid

    def write(self, model: str, ids: list[int], vals: dict[str, Any]) -> None:
        self.ops.append(("write", model, vals, ids))

    def commit(self) -> None:
        store = self.fake.store
        with store.lock:
            for kind, model, vals, target in self.ops:
                if kind == "create":
                    store.create(model, vals, uid=self.uid, at=self.start, rid=target)
                else:
                    store.write(model, target, vals, uid=self.uid, at=self.start)


class FakeOdoo:
    def __init__(self, *, version: str = "17.0", xmlrpc: bool = True) -> None:
        self.store = Store(version=version)
        self.xmlrpc = xmlrpc  # False: 404 on /xmlrpc/*, as an Odoo that removed it
        self.db = DB
        self.calls: list[Call] = []
        self.connections_opened = 0
        self.mode = ""  # "", "500", "reset", "hang", "refuse"
        self.hang_seconds = 5.0
        self.release = threading.Event()
        self.raw_response: bytes | None = None
        self.on_call: Callable[[Call], None] | None = None  # script changes between calls
        self.port = 0
        self.open_sockets: list[socket.socket] = []  # dropped on stop(), as a dead server does
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for uid, user in USERS.items():
            self.store.create(
                "res.users", {"name": user["name"], "login": user["login"]}, uid=1, rid=uid
            )
        self.store.next_id["res.users"] = 100

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeOdoo:
        server = _Server(("127.0.0.1", self.port), requestHandler=_Handler, logRequests=False)
        server.fake = self
        server.add_dispatcher("/xmlrpc/2/common", _Dispatcher(self, "common"))
        server.add_dispatcher("/xmlrpc/2/object", _Dispatcher(self, "object"))
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
        for sock in self.open_sockets:  # keep-alive connections die with the server
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.open_sockets.clear()

    def set_down(self, mode: str) -> None:
        """Modes: 500 (HTTP 500), reset (dropped), hang (no answer), refuse (port closed)."""
        self.mode = mode
        self.release.clear()
        if mode == "refuse":
            self.stop()

    def set_up(self) -> None:
        if self.mode == "refuse":
            self.start()  # same port again (SO_REUSEADDR)
        self.mode = ""
        self.release.set()

    # --- call accounting -----------------------------------------------------------------------
    def count(self, odoo_method: str | None = None, *, model: str | None = None) -> int:
        return sum(
            1
            for c in self.calls
            if (odoo_method is None or c.odoo_method == odoo_method or c.method == odoo_method)
            and (model is None or c.model == model)
        )

    def record_call(self, call: Call) -> None:
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    def reset_calls(self) -> None:
        self.calls.clear()

    # --- scripting (in-process, as an Odoo user would act) -------------------------------------
    def freeze(self, when: datetime | str) -> None:
        self.store.frozen = parse_dt(when) if isinstance(when, str) else when
        if isinstance(when, str) and "." in when:
            self.store.frozen = self.store.frozen.replace(microsecond=int(when[20:].ljust(6, "0")))

    def tick(self, seconds: float) -> None:
        self.store.frozen = self.store.now() + timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        self.store.frozen = None

    def create(self, model: str, vals: dict[str, Any], *, uid: int = ADMIN_UID) -> int:
        return self.store.create(model, vals, uid=uid)

    def write(self, model: str, ids: int | list[int], vals: dict, *, uid: int = ADMIN_UID) -> None:
        self.store.write(model, [ids] if isinstance(ids, int) else ids, vals, uid=uid)

    def unlink(self, model: str, ids: int | list[int]) -> None:
        self.store.unlink(model, [ids] if isinstance(ids, int) else ids)

    def begin(self, *, uid: int = ADMIN_UID) -> LateTransaction:
        return LateTransaction(self, uid)

    def deny(self, model: str) -> None:
        self.store.denied_models.add(model)

    def record(self, model: str, rid: int) -> dict[str, Any]:
        return self.store.read(model, [rid], None)[0]

    # --- protocol ------------------------------------------------------------------------------
    def dispatch(self, service: str, method: str, params: list) -> Any:
        model = params[3] if service == "object" and len(params) > 4 else ""
        odoo_method = params[4] if service == "object" and len(params) > 4 else ""
        self.record_call(Call(service, method, model, odoo_method))
        if service == "common":
            if method == "version":
                return self.version()
            if method in ("authenticate", "login"):
                return self.authenticate(*params[:3])
        elif method == "execute_kw":
            return self.execute_kw(*params)
        raise server_error("NameError", f"method {method!r} is not supported by {service}")

    def version(self) -> dict[str, Any]:
        major = self.store.major
        return {
            "server_version": self.store.version,
            "server_version_info": [major, 0, 0, "final", 0, ""],
            "server_serie": f"{major}.0",
            "protocol_version": 1,
        }

    def _check_db(self, db: str) -> None:
        if db != self.db:
            raise server_error(
                "psycopg2.OperationalError",
                f'connection to server failed: FATAL:  database "{db}" does not exist',
            )

    def authenticate(self, db: str, login: str, password: str, *rest: Any) -> int | bool:
        self._check_db(db)
        for uid, user in USERS.items():
            if (
                user["login"] == login
                and password
                and (password == user["password"] or password in user["api_keys"])
            ):
                return uid
        return False  # Odoo answers False, not a fault, on bad credentials

    def execute_kw(
        self,
        db: str,
        uid: int,
        password: str,
        model: str,
        method: str,
        args: list | None = None,
        kwargs: dict | None = None,
    ) -> Any:
        self._check_db(db)
        user = USERS.get(uid)
        if (
            not user
            or not password
            or (password != user["password"] and password not in user["api_keys"])
        ):
            raise OdooFault(3, "Access Denied")
        self.store.check_access(model)
        impl = getattr(self, f"_m_{method}", None)
        if impl is None:
            raise server_error(
                "AttributeError", f"The method '{method}' does not exist on the model '{model}'"
            )
        kwargs = kwargs or {}
        return impl(model, list(args or []), kwargs, kwargs.get("context") or {}, uid)

    def json2(self, model: str, method: str, params: dict, authorization: str, db: str) -> Any:
        """One JSON-2 call: bearer API key, named parameters plus `ids` and `context`."""
        self.record_call(Call("json2", method, model, method))
        scheme, _, key = authorization.partition(" ")
        uid = next(
            (u for u, user in USERS.items() if key and key in user["api_keys"]),
            None,
        )
        if scheme.lower() != "bearer" or uid is None:
            raise OdooFault(3, "Invalid apikey", name=UNAUTHORIZED)
        if db and db != self.db:
            raise OdooFault(2, f"database {db!r} not found", name=NOT_FOUND)
        impl = getattr(self, f"_m_{method}", None)
        if model not in self.store.schema:
            raise OdooFault(2, f"the model {model!r} does not exist", name=NOT_FOUND)
        if impl is None:
            message = f"the method {method!r} does not exist on the model {model!r}"
            raise OdooFault(2, message, name=NOT_FOUND)
        self.store.check_access(model)
        context = params.pop("context", None) or {}
        result = impl(model, [], params, context, uid)
        if method == "create":
            return result if isinstance(result, list) else [result]  # a recordset: its ids
        return result

    # --- ORM methods ---------------------------------------------------------------------------
    def _m_context_get(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> dict:
        return {"lang": "en_US", "tz": "Europe/Brussels", "uid": uid}

    def _m_search(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> list[int]:
        b = _bind(args, kw, ("domain", "offset", "limit", "order"), {"offset": 0})
        return self.store.search(
            model,
            b.get("domain") or [],
            offset=b["offset"] or 0,
            limit=b.get("limit") or None,
            order=b.get("order") or None,
            context=ctx,
        )

    def _m_search_count(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> int:
        b = _bind(args, kw, ("domain", "limit"), {})
        found = self.store.count(model, b.get("domain") or [], context=ctx)
        return min(found, b["limit"]) if b.get("limit") else found

    def _m_search_read(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> list:
        b = _bind(args, kw, ("domain", "fields", "offset", "limit", "order"), {"offset": 0})
        ids = self.store.search(
            model,
            b.get("domain") or [],
            offset=b["offset"] or 0,
            limit=b.get("limit") or None,
            order=b.get("order") or None,
            context=ctx,
        )
        return self.store.read(model, ids, b.get("fields") or None)

    def _m_read(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> list:
        b = _bind(args, kw, ("ids", "fields"), {})
        ids = b.get("ids") or []
        return self.store.read(model, [ids] if isinstance(ids, int) else ids, b.get("fields"))

    def _m_create(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> Any:
        vals = _bind(args, kw, ("vals_list",), {}).get("vals_list") or {}
        if isinstance(vals, list):
            return [self.store.create(model, v, uid=uid) for v in vals]
        return self.store.create(model, vals, uid=uid)

    def _m_write(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> bool:
        b = _bind(args, kw, ("ids", "vals"), {})
        ids = b["ids"] if isinstance(b["ids"], list) else [b["ids"]]
        return self.store.write(model, ids, b.get("vals") or {}, uid=uid)

    def _m_unlink(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> bool:
        ids = _bind(args, kw, ("ids",), {})["ids"]
        return self.store.unlink(model, ids if isinstance(ids, list) else [ids])

    def _m_fields_get(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> dict:
        b = _bind(args, kw, ("allfields", "attributes"), {})
        wanted = b.get("allfields") or None
        attrs = b.get("attributes") or None
        out = {}
        for name, field in self.store.model_fields(model).items():
            if wanted and name not in wanted:
                continue
            desc = {
                "type": field.type,
                "string": field.string or name.replace("_", " ").title(),
                "required": field.required,
                "readonly": name
                in ("id", "display_name", "create_date", "write_date", "create_uid", "write_uid"),
                "store": name != "display_name",
            }
            if field.relation:
                desc["relation"] = field.relation
            out[name] = {k: v for k, v in desc.items() if not attrs or k in attrs}
        return out

    def _m_fail(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> None:
        raise server_error("ZeroDivisionError", "division by zero")  # a bug inside Odoo

    def _m_return_none(self, model: str, args: list, kw: dict, ctx: dict, uid: int) -> None:
        return None  # Odoo cannot marshal None either: the client sees fault 1


# --- pytest fixtures ---------------------------------------------------------------------------
# Odoo versions and transports the connector suites run against (see tests/odoo/conftest.py).
FLAVOURS = ("16.0-xmlrpc", "17.0-xmlrpc", "18.0-xmlrpc", "19.0-json2")


def make_fake(flavour: str = "17.0-xmlrpc") -> FakeOdoo:
    """ "19.0-json2": an Odoo 19 with XML-RPC turned off; the others speak XML-RPC only."""
    version, _, transport = flavour.partition("-")
    return FakeOdoo(version=version, xmlrpc=transport != "json2")


@pytest.fixture
def fake_odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    fake = make_fake(getattr(request, "param", "17.0-xmlrpc")).start()
    yield fake
    fake.stop()


@pytest.fixture
def odoo_conn(db: Any, fake_odoo: FakeOdoo) -> Any:
    """An OdooConnection row for the fake server, logged in as the hub's own Odoo user (with
    an API key when the fake speaks JSON-2 only, since JSON-2 takes nothing else)."""
    from hub.models import OdooConnection

    return OdooConnection.objects.create(
        name="fake",
        url=fake_odoo.url,
        database=DB,
        username=HUB_LOGIN,
        password=HUB_PASSWORD,
        api_key="" if fake_odoo.xmlrpc else HUB_API_KEY,
        timeout=5,
    )


__all__ = [
    "ADMIN_UID",
    "FLAVOURS",
    "HUB_UID",
    "Call",
    "FakeOdoo",
    "Fault",
    "fake_odoo",
    "make_fake",
    "odoo_conn",
]
