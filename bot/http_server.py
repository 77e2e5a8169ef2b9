"""The bot's HTTP side: one threaded WSGI server routing Slack requests to Bolt and feeds to ingest.

    POST /slack/events   Slack events, interactions and slash commands (Bolt verifies signatures)
    POST /ingest/...     signal ingest (bearer token), when an ingest app is mounted
    GET  /healthz        liveness

Bolt rejects forged signatures and timestamps older than five minutes. A *replayed* request (the same
signature again inside that window) would pass Bolt's check, so `ReplayGuard` answers it 401 first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.slack.after_ack import BusyGate

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

REPLAY_WINDOW_SECONDS = 5 * 60


class ReplayGuard:
    """Remembers request signatures for the replay window; a repeated signature is refused."""

    def __init__(
        self, window: float = REPLAY_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen: dict[str, float] = {}
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()

    def first_time(self, signature: str) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {s: t for s, t in self._seen.items() if now - t < self._window}
            seen_at = self._seen.get(signature)
            if seen_at is not None and now - seen_at < self._window:
                return False
            self._seen[signature] = now
            return True


def _plain(start_response: Callable[..., Any], status: str, body: str) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
    return [body.encode()]


def make_router(slack: WsgiApp, ingest: WsgiApp | None = None, guard: ReplayGuard | None = None) -> WsgiApp:
    guard = guard or ReplayGuard()

    def router(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _plain(start_response, "200 OK", "ok")
        if path == "/slack/events":
            signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
            if signature and not guard.first_time(signature):
                return _plain(start_response, "401 Unauthorized", "replayed request")
            return slack(environ, start_response)
        if path.startswith("/ingest/") and ingest is not None:
            return ingest(environ, start_response)
        return _plain(start_response, "404 Not Found", "not found")

    return router


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128
    gate: BusyGate | None = None  # told of each request from accept to the answer's last byte

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.gate is not None:
            self.gate.enter()
        try:
            super().process_request(request, client_address)
        except BaseException:
            if self.gate is not None:
                self.gate.leave()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            if self.gate is not None:
                self.gate.leave()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class BotHttpServer:
    """Serves a WSGI app on `host:port` (0 = a free port) in a background thread. With a `gate`, the
    requests in flight are counted there (the work after Slack acks waits for a quiet moment)."""

    def __init__(
        self, app: WsgiApp, host: str = "127.0.0.1", port: int = 0, gate: BusyGate | None = None
    ) -> None:
        self._server = make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._server.gate = gate
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
