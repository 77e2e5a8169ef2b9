"""The bot's HTTP server: a fixed pool of threads answers requests, each counted on the gate from accept
to the answer's last byte."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bot.http_server import WORKERS, BotHttpServer
from bot.slack.after_ack import BusyGate

WAIT = 10.0


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
