"""The bot's HTTP side: one WSGI server (a fixed pool of threads) routing Slack requests to Bolt
and feeds to ingest.

    POST /slack/events   Slack events, interactions and slash commands (Bolt verifies signatures)
    POST /ingest/...     signal ingest (bearer token), when an ingest app is mounted
    GET  /healthz        liveness

A Slack request must declare its length (411 otherwise) and be at most a megabyte (413 otherwise); this
is checked before anything reads its body. Bolt rejects forged signatures and timestamps older than five
minutes. A *replayed* request (the same signature again inside that window) would pass Bolt's check, so
`ReplayGuard` answers it 401 first; it remembers only signatures that verify with the signing secret,
so forged requests cost it nothing.

From when a worker takes its connection, a client has `REQUEST_DEADLINE` seconds to send its request
line and headers, plus the time its declared body takes at `MIN_BODY_RATE`; past that its connection is
closed (a 408 answer if the headers had arrived), so clients trickling bytes cannot hold the workers.
Bodies are only read once the app has accepted their length (and, for ingest, the token).
"""

from __future__ import annotations

import io
import queue
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_sdk.signature import SignatureVerifier

from bot.slack.after_ack import BusyGate

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

REPLAY_WINDOW_SECONDS = 5 * 60
MAX_SLACK_BODY = 1024 * 1024  # bytes; Slack's payloads are a few KB at most
WORKERS = 32  # threads answering HTTP requests
READ_TIMEOUT = 30.0  # seconds any one read from a client may wait
REQUEST_DEADLINE = 10.0  # seconds a client has to send its request line and headers
MIN_BODY_RATE = 64 * 1024  # bytes a second: a body of n bytes gets n / MIN_BODY_RATE seconds more


class ReplayGuard:
    """Remembers request signatures for the replay window; a repeated signature is refused. Entries are
    kept in the order they arrived, so the expired ones are dropped from the front."""

    def __init__(
        self, window: float = REPLAY_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()

    def first_time(self, signature: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, seen_at = next(iter(self._seen.items()))
                if now - seen_at < self._window:
                    break
                del self._seen[oldest]
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True

    def forget(self, signature: str) -> None:
        with self._lock:
            self._seen.pop(signature, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def _signed(verifier: SignatureVerifier, body: bytes, environ: dict[str, Any]) -> bool:
    """The request carries a valid signature of `body`, with a timestamp inside five minutes."""
    try:
        return verifier.is_valid(
            body,
            environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            environ.get("HTTP_X_SLACK_SIGNATURE"),
        )
    except ValueError:  # a timestamp that is not a number, a body that is not UTF-8
        return False


def _plain(start_response: Callable[..., Any], status: str, body: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]


def make_router(
    slack: WsgiApp | None,
    ingest: WsgiApp | None = None,
    guard: ReplayGuard | None = None,
    *,
    signing_secret: str | None = None,
    max_body: int = MAX_SLACK_BODY,
) -> WsgiApp:
    """Route /healthz, /slack/events (absent in Socket Mode: Slack then talks over the socket) and
    /ingest/*. A Slack request needs a Content-Length (411) of at most `max_body` bytes (413); its body
    is read before Bolt sees it.

    Only signatures that verify with `signing_secret` are remembered against replay; the others go on to
    Bolt, which answers them 401. Without a secret a signature is remembered while Bolt checks it and
    forgotten unless Bolt accepted the request."""
    guard = guard if guard is not None else ReplayGuard()
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def slack_events(
        slack: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH") or ""
        if not (declared.isascii() and declared.isdigit()):
            return _plain(start_response, "411 Length Required", "Content-Length required")
        length = int(declared)
        if length > max_body:
            return _plain(start_response, "413 Payload Too Large", f"body over {max_body} bytes")
        try:
            body = environ["wsgi.input"].read(length)
        except TimeoutError:
            return _plain(start_response, "408 Request Timeout", "body not sent in time")
        if len(body) != length:
            return _plain(start_response, "400 Bad Request", "body shorter than its Content-Length")
        environ["wsgi.input"] = io.BytesIO(body)
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if verifier is not None:
            if _signed(verifier, body, environ) and not guard.first_time(signature):
                return _plain(start_response, "401 Unauthorized", "replayed request")
            return slack(environ, start_response)
        if not signature:
            return slack(environ, start_response)
        if not guard.first_time(signature):
            return _plain(start_response, "401 Unauthorized", "replayed request")
        statuses: list[str] = []

        def noting_status(status: str, *rest: Any) -> Any:
            statuses.append(status)
            return start_response(status, *rest)

        try:
            return slack(environ, noting_status)
        finally:
            if not (statuses and statuses[-1].startswith("2")):
                guard.forget(signature)

    def router(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok")
        if path == "/slack/events" and slack is not None:
            return slack_events(slack, environ, start_response)
        if path.startswith("/ingest/") and ingest is not None:
            try:
                return ingest(environ, start_response)
            except TimeoutError:  # the body did not arrive in time; ingest reads it before answering
                return _plain(start_response, "408 Request Timeout", "body not sent in time")
        return _plain(start_response, "404 Not Found", "not found")

    return router


class _PooledWSGIServer(WSGIServer):
    """Accepted connections wait in a queue served by `WORKERS` long-lived threads, so the accept loop
    never starts (and waits for) a thread per request; measured, 50 concurrent requests are answered
    sooner (p99 of /healthz about halved). A slow client holds one worker while it sends its request for
    at most `request_deadline` seconds plus its body's length at `min_body_rate` (then the connection is
    closed), each read waiting at most `read_timeout` seconds."""

    request_queue_size = 128
    gate: BusyGate | None = None  # told of each request from accept to the answer's last byte
    read_timeout = READ_TIMEOUT
    request_deadline = REQUEST_DEADLINE
    min_body_rate: float = MIN_BODY_RATE

    def __init__(self, server_address: tuple[str, int], handler: type[WSGIRequestHandler]) -> None:
        super().__init__(server_address, handler)
        self._pending: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve_queue, name=f"bot-http-{i}", daemon=True)
            for i in range(WORKERS)
        ]
        for thread in self._threads:
            thread.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.gate is not None:
            self.gate.enter()
        self._pending.put((request, client_address))

    def _serve_queue(self) -> None:
        while (item := self._pending.get()) is not None:
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
                if self.gate is not None:
                    self.gate.leave()

    def server_close(self) -> None:
        super().server_close()
        for _ in self._threads:
            self._pending.put(None)


class _DeadlineReader(io.RawIOBase):
    """A connection's reads, each waiting at most `timeout` seconds and all of them ending by `deadline`
    (a `time.monotonic()` instant): past it a read raises TimeoutError."""

    def __init__(self, sock: socket.socket, timeout: float, deadline: float) -> None:
        self._sock = sock
        self._timeout = timeout
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def extend(self, seconds: float) -> None:
        self._deadline += seconds

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request not received in time")
        self._sock.settimeout(min(self._timeout, left))
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._timeout)  # what writing the answer may wait, per send


class _QuietHandler(WSGIRequestHandler):
    server: _PooledWSGIServer

    def setup(self) -> None:
        deadline = time.monotonic() + self.server.request_deadline
        super().setup()
        self.connection.settimeout(self.server.read_timeout)
        self.rfile.close()  # the plain socket file, replaced by one that keeps the deadline
        self._reader = _DeadlineReader(self.connection, self.server.read_timeout, deadline)
        self.rfile = io.BufferedReader(self._reader)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        declared = self.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit():
            self._reader.extend(int(declared) / self.server.min_body_rate)
        return True

    def handle(self) -> None:
        try:
            super().handle()
        except TimeoutError:  # too slow sending the request line or headers: the connection is closed
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return


class BotHttpServer:
    """Serves a WSGI app on `host:port` (0 = a free port) in a background thread. With a `gate`, the
    requests in flight are counted there (the work after Slack acks waits for a quiet moment). A client
    has `request_deadline` seconds to send its request line and headers, plus its body's length at
    `min_body_rate`, each read waiting at most `read_timeout`."""

    def __init__(
        self,
        app: WsgiApp,
        host: str = "127.0.0.1",
        port: int = 0,
        gate: BusyGate | None = None,
        *,
        read_timeout: float = READ_TIMEOUT,
        request_deadline: float = REQUEST_DEADLINE,
        min_body_rate: float = MIN_BODY_RATE,
    ) -> None:
        self._server = make_server(
            host, port, app, server_class=_PooledWSGIServer, handler_class=_QuietHandler
        )
        self._server.gate = gate
        self._server.read_timeout = read_timeout
        self._server.request_deadline = request_deadline
        self._server.min_body_rate = min_body_rate
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> BotHttpServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="bot-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
