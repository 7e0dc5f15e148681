"""An HTTP proxy on loopback that breaks requests on purpose, to test how clients survive it.

Put it in front of a real server (the ``pds`` fixture, a ``pytest-httpserver``, ...) and point
the client under test at ``proxy.url``. Every request goes through unchanged unless a planned
fault matches its path::

    proxy = fault_proxy(pds)
    proxy.plan("createRecord", "drop")           # the server acts, the client sees no answer
    proxy.plan("getRecord", "status", status=503, times=2)
    proxy.plan("createRecord", "reset", after=1)  # let the first one through, break the second

Actions (keyword options in brackets):

- ``status``: answer ``status`` (500) with a small JSON error body [status, body].
- ``rate_limit``: answer 429 with a ``Retry-After`` header [retry_after, in seconds: 7].
- ``hang``: never answer; the connection closes after ``seconds`` (10) or when the proxy stops,
  so a client with a shorter timeout gives up first [seconds].
- ``close``: close the connection without answering (the client reads an end of file).
- ``reset``: reset the connection (TCP RST) without answering.
- ``garbage``: answer 200 with a body that is not JSON [body, content_type].
- ``drop``: pass the request to the server, then close without passing its answer back: the
  server did the work, the client saw an error.
- ``answer``: answer without asking the server [status (200), json or body, headers].

``times`` is how many matching requests the fault takes (``after`` matching requests first go
through untouched); a request takes the first planned fault that matches. ``requests`` lists
the path of every request seen, in order. Only plain HTTP targets are supported.

A test module takes the fixture with ``pytest_plugins = ["tests.support.faults"]``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

ACTIONS = ("status", "rate_limit", "hang", "close", "reset", "garbage", "drop", "answer")
GARBAGE = b"<html><body>\x00\xff Service temporarily mangled </body>"
# Headers that describe one connection, not the message: never passed on.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}


@dataclass
class Fault:
    path_contains: str
    action: str
    times: int
    after: int = 0
    options: dict[str, Any] = field(default_factory=dict)


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of ``target_url``; see the module docstring."""

    def __init__(self, target_url: str) -> None:
        target = urlsplit(target_url)
        if target.scheme != "http" or not target.hostname:
            raise ValueError(f"The fault proxy forwards to plain http:// URLs, not {target_url}")
        self.target_host = target.hostname
        self.target_port = target.port or 80
        self.requests: list[str] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def plan(self, path_contains: str, action: str, times: int = 1, **options: Any) -> None:
        """Make the next ``times`` requests whose path contains ``path_contains`` fail."""
        if action not in ACTIONS:
            raise ValueError(f"Unknown fault {action!r}; choose one of {', '.join(ACTIONS)}.")
        after = int(options.pop("after", 0))
        with self._lock:
            self._faults.append(Fault(path_contains, action, times, after, options))

    def clear(self) -> None:
        """Forget the planned faults and the requests seen so far."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    def count(self, path_contains: str) -> int:
        """How many requests seen so far had ``path_contains`` in their path."""
        with self._lock:
            return sum(path_contains in path for path in self.requests)

    def stop(self) -> None:
        self._stopping.set()  # releases hanging requests
        self._server.shutdown()
        self._server.server_close()
        # Kept-alive connections would hold their handler threads until the process ends.
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            self.requests.append(path)
            for fault in self._faults:
                if fault.times <= 0 or fault.path_contains not in path:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                fault.times -= 1
                return fault
            return None

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.target_host, self.target_port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            answer = conn.getresponse()
            content = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
            return answer.status, kept, content
        finally:
            conn.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients expect
    proxy: FaultProxy

    def setup(self) -> None:
        super().setup()
        self.proxy._opened(self.connection)

    def finish(self) -> None:
        self.proxy._closed(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._handle()

    # http.server calls do_<METHOD>: every method takes the same way.
    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: pytest shows the test's own output

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = self.proxy._take(urlsplit(self.path).path)
        action, options = (fault.action, fault.options) if fault else ("pass", {})
        if action in ("pass", "drop"):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            status, kept, content = self.proxy._forward(self.command, self.path, headers, body)
            if action == "drop":
                self._hang_up()
            else:
                self._answer(status, content, kept)
        elif action == "status":
            status = int(options.get("status", 500))
            self._answer(status, options.get("body") or _error_body("InjectedFault", status))
        elif action == "rate_limit":
            retry_after = str(options.get("retry_after", 7))
            body = _error_body("RateLimitExceeded", 429)
            self._answer(429, body, [("Content-Type", "application/json")], retry_after)
        elif action == "hang":
            self.proxy._stopping.wait(float(options.get("seconds", 10)))
            self._hang_up()
        elif action == "close":
            self._hang_up()
        elif action == "reset":
            self._hang_up(reset=True)
        elif action == "garbage":
            content_type = str(options.get("content_type", "text/html"))
            self._answer(200, options.get("body", GARBAGE), [("Content-Type", content_type)])
        else:  # answer
            self._canned(options)

    def _canned(self, options: dict[str, Any]) -> None:
        headers = list(dict(options.get("headers") or {}).items())
        if "json" in options:
            content = json.dumps(options["json"]).encode()
            headers.append(("Content-Type", "application/json"))
        else:
            content = options.get("body", b"")
        self._answer(int(options.get("status", 200)), content, headers)

    def _answer(
        self,
        status: int,
        content: bytes,
        headers: list[tuple[str, str]] | None = None,
        retry_after: str | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in headers if headers is not None else _JSON:
            self.send_header(name, value)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _hang_up(self, *, reset: bool = False) -> None:
        self.close_connection = True
        if reset:
            # Linger 0 turns close() into a TCP reset instead of an orderly end of stream.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        else:
            self.connection.shutdown(socket.SHUT_RDWR)


_JSON = [("Content-Type", "application/json")]


def _error_body(name: str, status: int) -> bytes:
    return json.dumps({"error": name, "message": f"Injected fault: HTTP {status}"}).encode()


@pytest.fixture
def fault_proxy() -> Iterator[Callable[[str], FaultProxy]]:
    """A factory: ``fault_proxy(target_url)`` starts a proxy, stopped when the test ends."""
    started: list[FaultProxy] = []

    def start(target_url: str) -> FaultProxy:
        proxy = FaultProxy(target_url)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
