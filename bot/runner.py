"""Serving: the bot's HTTP endpoint (or Socket Mode) plus the scheduler, until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import structlog
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.http_server import BotHttpServer, make_router
from bot.wiring import Container

log = structlog.get_logger(__name__)


@dataclass
class Running:
    container: Container
    http: BotHttpServer
    socket_mode: object | None

    @property
    def events_url(self) -> str | None:
        """Where Slack sends events over HTTP; None in Socket Mode."""
        return f"{self.http.url}/slack/events" if self.socket_mode is None else None

    def stop(self) -> None:
        """Stop taking work first (the socket, then HTTP), then finish what was acked, then the jobs.
        Each step runs even if an earlier one failed (logged), so a stop never leaves half the bot."""
        c = self.container
        steps: list[tuple[str, Callable[[], object] | None]] = [
            ("socket_mode", getattr(self.socket_mode, "close", None)),
            ("http", self.http.stop),
            ("after_ack", c.after_ack.stop if c.after_ack is not None else None),
            ("scheduler", c.scheduler.shutdown if c.scheduler is not None else None),
            ("scoring_pool", c.scoring_pool.close if c.scoring_pool is not None else None),
            ("engine", c.engine.dispose),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception as exc:
                log.error("bot.stop_step_failed", step=name, error=repr(exc))


def start(container: Container, *, host: str = "127.0.0.1", port: int | None = None) -> Running:
    """Start listening and scheduling; returns at once. `port=0` picks a free port."""
    settings = container.settings
    assert container.bolt is not None, "the Slack app is not configured"
    ingest = None
    if settings.ingest_token is not None:
        from bot.ingest.http import make_ingest_app

        ingest = make_ingest_app(container.engine, settings.ingest_token)
    socket_mode = None
    if settings.slack_mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        socket_mode = SocketModeHandler(container.bolt, settings.secret("slack_app_token"))
        socket_mode.connect()  # type: ignore[no-untyped-call]
    # In Socket Mode the HTTP server still answers /healthz and the ingest endpoint
    slack = SlackRequestHandler(container.bolt) if socket_mode is None else None
    http = BotHttpServer(
        make_router(slack, ingest, signing_secret=settings.secret("slack_signing_secret")),
        host=host,
        port=settings.slack_http_port if port is None else port,
        gate=container.request_gate,
    ).start()
    imported = container.import_directory()
    if container.scheduler is not None:
        container.scheduler.start()
    running = Running(container, http, socket_mode)
    log.info("bot.started", mode=settings.slack_mode, url=running.events_url, slack_users=imported)
    return running


def wait_for_signal() -> None:
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stop.wait()
