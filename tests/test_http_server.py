"""The bot's HTTP server: a fixed pool of threads answers requests, each counted on the gate from accept
to the answer's last byte."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bot.http_server import WORKERS, BotHttpServer, make_router
from bot.slack.after_ack import BusyGate

WAIT = 10.0


def _address(server: BotHttpServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _status_of_raw(server: BotHttpServer, head: bytes, wait: float = 5.0) -> int:
    """Send `head` (a request line and headers, no body) as is; the status the server answers."""
    with socket.create_connection(_address(server), timeout=wait) as sock:
        sock.sendall(head)
        return int(sock.recv(4096).split(b" ", 2)[1])


def test_the_http_server_counts_requests_in_flight_on_its_gate() -> None:
    gate = BusyGate()
    seen: list[int] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(gate.in_flight)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = BotHttpServer(app, gate=gate).start()
    try:
        assert requests.get(f"{server.url}/", timeout=WAIT).status_code == 200
        assert gate.wait_quiet(deadline=float("inf"))  # returns once the request has left the gate
    finally:
        server.stop()
    assert seen == [1] and gate.in_flight == 0


def test_requests_are_answered_by_the_servers_own_pool_of_threads() -> None:
    names: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        names.append(threading.current_thread().name)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = BotHttpServer(app).start()
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: requests.get(server.url, timeout=WAIT).status_code, range(40)))
    finally:
        server.stop()
    assert statuses == [200] * 40
    assert set(names) <= {f"bot-http-{i}" for i in range(WORKERS)}


def test_slack_requests_over_a_megabyte_or_without_a_length_are_refused_before_bolt_reads_them() -> None:
    calls: list[str] = []

    def bolt(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])).decode())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = BotHttpServer(make_router(bolt)).start()
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    try:
        # 300 MB announced, none of it sent: answered at once, nothing read
        assert _status_of_raw(server, head + b"Content-Length: 314572800\r\n\r\n") == 413
        assert _status_of_raw(server, head + b"Content-Length: 1048577\r\n\r\n") == 413
        assert _status_of_raw(server, head + b"\r\n") == 411
        assert _status_of_raw(server, head + b"Content-Length: lots\r\n\r\n") == 411
        assert _status_of_raw(server, head + b"Content-Length: -1\r\n\r\n") == 411
        assert calls == []
        assert requests.post(f"{server.url}/slack/events", data=b"x" * 1024 * 1024, timeout=WAIT).ok
    finally:
        server.stop()
    assert calls == ["x" * 1024 * 1024]
