"""Socket Mode, as Slack runs it: the app calls `apps.connections.open` with its app-level token
(``xapp-``), gets a one-time WebSocket URL, connects, receives ``hello``, and from then on every event,
interaction and slash command arrives on the socket as an envelope that the app acknowledges by sending
back its ``envelope_id`` (with a ``payload`` for slash-command and view-submission answers).

`SocketModeServer` is that endpoint on 127.0.0.1 (plain ``ws://``: slack_sdk's client speaks plain
WebSocket to any port but 443). `SocketTransport` is the sandbox's delivery path when the app uses
Socket Mode: the same `Delivery` records as signed HTTP, with the acknowledgement as the answer. Slack
does not sign socket envelopes (the app-level token authenticated the connection), so `Tamper` has
nothing to forge here.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from sandbox.slack.delivery import Delivery, DeliveryLog, Tamper

_ENVELOPE_TYPES = {"slash_command": "slash_commands", "event_callback": "events_api"}  # else interactive
_ANSWERED = ("slash_commands", "interactive")  # the app may put a payload in its acknowledgement


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    answer: dict[str, Any] | None = None


class SocketModeServer:
    """The WebSocket endpoint. `open_url()` issues a one-time ticket URL (what `apps.connections.open`
    returns); `deliver()` sends an envelope to the newest connection and waits for its acknowledgement."""

    def __init__(self, app_id: str, host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._server: Server = serve(self._handle, host, 0)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-socket", daemon=True)
        self._thread.start()

    def open_url(self) -> str:
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def _handle(self, connection: ServerConnection) -> None:
        query = parse_qs(urlparse(connection.request.path if connection.request else "").query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)
            if known:
                self._connections.append(connection)
        if not known:
            connection.close(code=4001, reason="invalid or used ticket")
            return
        try:
            hello = {
                "type": "hello",
                "num_connections": self.connections(),
                "connection_info": {"app_id": self.app_id},
                "debug_info": {"host": "sandbox", "approximate_connection_time": 18060},
            }
            connection.send(json.dumps(hello))
            self.connected.set()
            for raw in connection:
                self._acknowledged(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
                if not self._connections:
                    self.connected.clear()

    def _acknowledged(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._lock:
            waiter = self._waiters.get(str(envelope_id))
        if waiter is not None:
            waiter.answer = message
            waiter.done.set()

    def deliver(self, envelope_type: str, payload: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send one envelope; the app's acknowledgement, or None if none came within `timeout` (or no
        app is connected)."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "accepts_response_payload": envelope_type in _ANSWERED,
            "payload": payload,
        }
        if envelope_type == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        waiter = _Waiter()
        with self._lock:
            target = self._connections[-1] if self._connections else None
            self._waiters[envelope_id] = waiter
        try:
            if target is None:
                return None
            try:
                target.send(json.dumps(envelope))
            except ConnectionClosed:
                return None
            return waiter.answer if waiter.done.wait(timeout) else None
        finally:
            with self._lock:
                self._waiters.pop(envelope_id, None)

    def stop(self) -> None:
        with self._lock:
            open_now = list(self._connections)
        for connection in open_now:
            connection.close()
        self._server.shutdown()
        self._thread.join(timeout=5)


def envelope_payload(kind: str, body: bytes) -> tuple[str, dict[str, Any]]:
    """The envelope type and payload Socket Mode carries for what HTTP mode would POST as `body`."""
    envelope_type = _ENVELOPE_TYPES.get(kind, "interactive")
    if envelope_type == "events_api":
        return envelope_type, json.loads(body)
    form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    if envelope_type == "slash_commands":
        return envelope_type, form
    return envelope_type, json.loads(form["payload"])


class SocketTransport(DeliveryLog):
    """Deliveries over the socket, recorded like signed HTTP ones (``status`` 200 once acknowledged,
    ``response_body`` the acknowledgement's payload as JSON)."""

    def __init__(self, server: SocketModeServer, timeout: float = 10.0) -> None:
        super().__init__(timeout)
        self.server = server

    def prepare(
        self, kind: str, user: str, url: str, body: bytes, content_type: str, tamper: Tamper
    ) -> Delivery:
        return Delivery(0, kind, user, "socket", body, {"Content-Type": content_type})

    def send(
        self, kind: str, user: str, url: str, body: bytes, content_type: str, tamper: Tamper
    ) -> Delivery:
        return self.replay(self.prepare(kind, user, url, body, content_type, tamper))

    def replay(self, delivery: Delivery) -> Delivery:
        record = self._record(delivery.kind, delivery.user, "socket", delivery.body, delivery.headers)
        started = time.perf_counter()
        envelope_type, payload = envelope_payload(record.kind, record.body)
        answer = self.server.deliver(envelope_type, payload, self.timeout)
        record.latency_ms = (time.perf_counter() - started) * 1000
        if answer is None:
            record.error = "no acknowledgement on the socket (is the app connected?)"
            return record
        record.status = 200
        record.response_body = json.dumps(answer["payload"]) if answer.get("payload") else ""
        return record
