"""A real, scriptable HTTP receiver on 127.0.0.1 that records every request (webhook target fake).

Usage::

    with Receiver(script=[500, 500, Reply(200, body=b"ok")]) as rx:
        requests.post(rx.url_for("/hook"), data=b"{}")
        (first,) = rx.wait_for(1)

or the ``receiver`` fixture; import it into a conftest:
``from tests.fakes.receiver import receiver  # noqa: F401``.
Each request takes the next scripted reply; when the script is used up, ``default`` answers.
A reply can delay (bounded: ``stop()`` releases it) or drop the connection without answering.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

WAIT_TIMEOUT = 5.0  # seconds; every wait in here is bounded


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str = b'{"ok": true}'
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without sending any response

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # names as sent; repeated headers joined with ", "
    body: bytes
    client_port: int  # the same port on two requests means a reused connection

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def _as_reply(item: int | Reply) -> Reply:
    return item if isinstance(item, Reply) else Reply(status=item)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        recorded = Recorded(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=self._read_body(),
            client_port=self.client_address[1],
        )
        reply = self.server.owner._record(recorded)
        try:
            self._answer(reply)
        finally:
            self.server.owner._answered()

    def _answer(self, reply: Reply) -> None:
        if reply.delay:
            self.server.owner._stopping.wait(reply.delay)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = reply.body_bytes
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if not any(k.lower() == "content-type" for k in reply.headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping must not block stop()
    owner: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client hung up (timeout tests): nothing to report.
        pass


class Receiver:
    """A threaded HTTP server on 127.0.0.1:<free port> answering from a script."""

    def __init__(self, script: Iterable[int | Reply] = (), default: int | Reply = 200) -> None:
        self._script = [_as_reply(item) for item in script]
        self.default = _as_reply(default)
        self._requests: list[Recorded] = []
        self._open = 0  # requests received and not answered yet
        self.max_open = 0  # the most requests it held at once (a client's concurrency)
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Receiver:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=WAIT_TIMEOUT)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "receiver not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str = "/hook") -> str:
        return self.url + path

    # --- scripting and inspection ------------------------------------------------------------
    def script(self, *replies: int | Reply) -> None:
        """Append replies for the next requests."""
        with self._cond:
            self._script.extend(_as_reply(r) for r in replies)

    def _record(self, recorded: Recorded) -> Reply:
        with self._cond:
            self._requests.append(recorded)
            self._open += 1
            self.max_open = max(self.max_open, self._open)
            reply = self._script.pop(0) if self._script else self.default
            self._cond.notify_all()
        return reply

    @property
    def unanswered(self) -> int:
        """Requests received and not answered yet (a delayed reply still waiting)."""
        with self._cond:
            return self._open

    def _answered(self) -> None:
        with self._cond:
            self._open -= 1

    @property
    def requests(self) -> list[Recorded]:
        with self._cond:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float = WAIT_TIMEOUT) -> list[Recorded]:
        """Wait until at least `count` requests arrived; fail the test if they don't in time."""
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self._requests) >= count, timeout=timeout)
            if not arrived:
                raise AssertionError(f"expected {count} request(s), got {len(self._requests)}")
            return list(self._requests)

    def reset(self) -> None:
        with self._cond:
            self._requests.clear()
            self._script.clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started Receiver answering 200 by default; script more with ``receiver.script(...)``."""
    with Receiver() as rx:
        yield rx
