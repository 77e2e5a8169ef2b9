"""The bot's HTTP server: a fixed pool of threads answers requests, each counted on the gate from accept
to the answer's last byte."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.http_server import WORKERS, BotHttpServer, ReplayGuard, make_router
from bot.slack.after_ack import BusyGate

WAIT = 10.0
SECRET = "signing-secret"


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


def _bolt() -> SlackRequestHandler:
    return SlackRequestHandler(
        App(signing_secret=SECRET, token="xoxb-test", token_verification_enabled=False)
    )


def _signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


@pytest.mark.parametrize("secret", [SECRET, None], ids=["verified-first", "no-secret-given"])
def test_only_genuine_signatures_are_remembered_and_their_replays_refused(secret: str | None) -> None:
    guard = ReplayGuard()
    server = BotHttpServer(make_router(_bolt(), guard=guard, signing_secret=secret)).start()
    body = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"}).encode()
    genuine = _signed(body)
    events = f"{server.url}/slack/events"
    try:
        forgeries = [{**genuine, "X-Slack-Signature": f"v0={i:064x}" + "A" * 4000} for i in range(50)]
        forged = [requests.post(events, data=body, headers=h, timeout=WAIT) for h in forgeries]
        # a genuine signature on a tampered body is no more than a forgery
        tampered = requests.post(events, data=body.replace(b'"c"', b'"d"'), headers=genuine, timeout=WAIT)
        assert [r.status_code for r in forged] + [tampered.status_code] == [401] * 51
        assert len(guard) == 0
        first = requests.post(events, data=body, headers=genuine, timeout=WAIT)
        assert (first.status_code, first.json()) == (200, {"challenge": "c"})
        assert requests.post(events, data=body, headers=genuine, timeout=WAIT).status_code == 401
        assert len(guard) == 1
    finally:
        server.stop()


def test_the_replay_guard_drops_expired_signatures_as_it_goes() -> None:
    now = [0.0]
    guard = ReplayGuard(window=300, clock=lambda: now[0])
    for i in range(3000):
        now[0] = i / 10
        assert guard.first_time(f"v0={i:064x}")
    assert not guard.first_time(f"v0={2999:064x}")
    assert len(guard) == 3000
    now[0] = 300 + 199.95  # the first 2000 (seen before 200 s) have expired
    assert guard.first_time(f"v0={0:064x}")
    assert len(guard) == 1000 + 1


def test_clients_trickling_their_requests_are_cut_off_at_the_deadline_and_free_the_workers() -> None:
    def bolt(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = BotHttpServer(make_router(bolt), read_timeout=5.0, request_deadline=0.5).start()
    slow = [socket.create_connection(_address(server), timeout=WAIT) for _ in range(WORKERS)]
    stop = threading.Event()

    def trickle() -> None:  # a header line for every worker, far more often than the read timeout
        while not stop.is_set():
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.05)

    for sock in slow:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        assert requests.get(f"{server.url}/healthz", timeout=3.0).text == "ok"
        assert time.monotonic() - started < 2.0
        for sock in slow:  # closed without an answer
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(100) == b""
        # a body sent a byte at a time gets the same deadline
        with socket.create_connection(_address(server), timeout=WAIT) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            started = time.monotonic()
            for _ in range(100):
                try:
                    sock.sendall(b"x")
                except OSError:
                    break
                time.sleep(0.02)
            assert sock.recv(4096).startswith(b"HTTP/1.0 408")
            assert time.monotonic() - started < 1.5
    finally:
        stop.set()
        trickler.join()
        for sock in slow:
            sock.close()
        server.stop()


def test_a_body_gets_time_in_proportion_to_its_length() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]

    # 0.3 s for the headers, then 20 bytes at 25 bytes a second: 1.1 s in all for a body taking 0.4 s
    server = BotHttpServer(make_router(None, ingest=app), request_deadline=0.3, min_body_rate=25).start()
    try:
        with socket.create_connection(_address(server), timeout=WAIT) as sock:
            sock.sendall(b"POST /ingest/usage HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n")
            for _ in range(20):
                sock.sendall(b"x")
                time.sleep(0.02)
            assert sock.recv(4096).startswith(b"HTTP/1.0 200")
        with socket.create_connection(_address(server), timeout=WAIT) as sock:
            sock.sendall(b"POST /ingest/usage HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nxx")
            assert sock.recv(4096).startswith(b"HTTP/1.0 408")
    finally:
        server.stop()
