"""The HTTP machinery shared by the three sandboxes: a threaded server on 127.0.0.1 (optionally TLS),
a request log, fault injection and a movable clock, each controllable in-process and over HTTP.

A sandbox is an `App` (a `handle(request) -> Response` method) served by `SandboxServer`. Control
endpoints under `/_sandbox/` are answered by the server itself:

    GET  /_sandbox/requests          the request log (JSON)         DELETE clears it
    POST /_sandbox/faults            {"kind": ..., "count"|"rate": ..., "path": regex, ...}
    DELETE /_sandbox/faults          remove all faults
    GET|POST /_sandbox/clock         {"offset_seconds": N} moves the sandbox clock forward

Fault kinds: "status" (answer `status` with the app's vendor error body for it), "delay" (sleep
`seconds` before answering: a client timeout), "drop" (send headers and half the body, then close:
a dropped connection mid-body). A fault fires for `count` matching requests, or at `rate` (0..1)
drawn from a seeded RNG so runs repeat.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str -> as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, default=str).encode()


class App(Protocol):
    def handle(self, request: Request) -> Response: ...

    def error_response(self, status: int, message: str) -> Response:
        """The vendor's error body for `status` (used by injected faults)."""
        ...


class Clock:
    """The sandbox's notion of now: real UTC time plus an offset that only moves forward."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta():
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += delta

    @property
    def offset(self) -> timedelta:
        return self._offset


@dataclass
class Fault:
    kind: str  # status | delay | drop
    status: int = 500
    seconds: float = 0.0
    count: int | None = None  # fire for the next N matching requests
    rate: float | None = None  # or with this probability
    path: str = ""  # regex matched against the request path; "" matches everything
    method: str = ""  # "" matches every method
    message: str = ""

    def matches(self, request: Request) -> bool:
        if self.method and request.method != self.method.upper():
            return False
        return not self.path or re.search(self.path, request.path) is not None


class FaultPlan:
    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.fired: list[tuple[str, str, str]] = []  # (kind, method, path)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pick(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.matches(request):
                    continue
                if fault.count is not None:
                    if fault.count <= 0:
                        continue
                    fault.count -= 1
                elif fault.rate is not None and self._rng.random() >= fault.rate:
                    continue
                self.fired.append((fault.kind, request.method, request.path))
                return fault
            return None


@dataclass(frozen=True)
class LoggedRequest:
    at: float
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    body: bytes = b""

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
        }


class RequestLog:
    def __init__(self, keep_bodies: bool = False) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self.keep_bodies = keep_bodies

    def add(self, request: Request, status: int) -> None:
        entry = LoggedRequest(
            time.time(),
            request.method,
            request.path,
            request.query,
            status,
            request.body if self.keep_bodies else b"",
        )
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, method: str | None = None, path: str = "", status: int | None = None) -> int:
        """How many requests matched `method`, the regex `path`, and `status`."""
        return sum(
            1
            for e in self.entries()
            if (method is None or e.method == method)
            and (not path or re.search(path, e.path))
            and (status is None or e.status == status)
        )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY the body waits for the client's
    # delayed ACK (~40 ms per request on Linux).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _request(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )

    def _send(self, response: Response, drop: bool = False) -> None:
        try:
            self._write(response, drop)
        except OSError:  # the client went away (gave up waiting, dropped the connection)
            self.close_connection = True

    def _write(self, response: Response, drop: bool) -> None:
        payload = response.encoded()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if drop:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(payload)

    def _dispatch(self) -> None:
        request = self._request()
        sandbox = self.server.sandbox
        if request.path.startswith("/_sandbox/"):
            response = sandbox.control(request)
            self._send(response)
            return
        fault = sandbox.faults.pick(request)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
            fault = None
        if fault is not None and fault.kind == "status":
            response = sandbox.app.error_response(fault.status, fault.message or "injected fault")
            sandbox.log.add(request, response.status)
            self._send(response)
            return
        try:
            response = sandbox.app.handle(request)
        except Exception as exc:  # a sandbox bug must surface as a 500 the client sees, not a hang
            response = sandbox.app.error_response(500, f"sandbox error: {type(exc).__name__}: {exc}")
        sandbox.log.add(request, response.status)
        self._send(response, drop=fault is not None and fault.kind == "drop")

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    sandbox: SandboxServer


class SandboxServer:
    """Serves an App on 127.0.0.1:`port` (0 = a free port) in a background thread."""

    def __init__(
        self,
        app: App,
        *,
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        fault_seed: int = 0,
        keep_bodies: bool = False,
    ) -> None:
        self.app = app
        self.clock = clock or Clock()
        self.faults = FaultPlan(fault_seed)
        self.log = RequestLog(keep_bodies)
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.sandbox = self
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._tls = ssl_context is not None
        self._thread: threading.Thread | None = None
        self.control_hooks: dict[str, Callable[[Request], Response]] = {}

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=f"sandbox:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def control(self, request: Request) -> Response:
        name = request.path.removeprefix("/_sandbox/").strip("/")
        if name == "requests":
            if request.method == "DELETE":
                self.log.clear()
                return Response(200, {"ok": True})
            return Response(200, [e.as_dict() for e in self.log.entries()])
        if name == "faults":
            if request.method == "DELETE":
                self.faults.clear()
                return Response(200, {"ok": True})
            self.faults.add(Fault(**request.json()))
            return Response(200, {"ok": True})
        if name == "clock":
            if request.method == "POST":
                self.clock.advance(timedelta(seconds=float(request.json().get("advance_seconds", 0))))
            return Response(
                200,
                {"now": self.clock.now().isoformat(), "offset_seconds": self.clock.offset.total_seconds()},
            )
        hook = self.control_hooks.get(name)
        if hook is not None:
            return hook(request)
        return Response(404, {"error": f"no sandbox control {name!r}"})
