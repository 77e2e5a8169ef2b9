"""`start_slack`: the Slack sandbox server, its routes, and the `SlackSandbox` handle for tests and demo.

Routes: ``/api/<method>`` (the Web API), ``/response/<token>`` (response_url), ``/upload/v1/<file>`` and
``/files/<file>`` (file uploads), ``/`` and ``/ui/*`` (the web page), ``/_sandbox/*`` (see `control`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.httpbase import Clock, Request, Response, SandboxServer
from sandbox.slack import control, methods_files
from sandbox.slack.actor import Actor
from sandbox.slack.delivery import Delivery, Tamper
from sandbox.slack.methods_views import stacks
from sandbox.slack.seed import APP_ID
from sandbox.slack.socket_mode import SocketModeServer, SocketTransport
from sandbox.slack.state import SlackError, Workspace
from sandbox.slack.webapi import SlackWebApi, slack_error

UI_DIR = Path(__file__).parent / "ui"
_UI_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
FLUSH_SECONDS = 0.5


class SlackApp:
    def __init__(self, api: SlackWebApi, actor: Actor) -> None:
        self.api = api
        self.actor = actor

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/api/"):
            return self.api.call(path.removeprefix("/api/"), request)
        if path.startswith("/response/") and request.method == "POST":
            return self.actor.handle_response_url(path.removeprefix("/response/"), request)
        if path.startswith("/upload/v1/") and request.method == "POST":
            return methods_files.receive_upload(self.api.ws, path.removeprefix("/upload/v1/"), request.body)
        if path.startswith("/files/"):
            return methods_files.download(self.api.ws, path.removeprefix("/files/"))
        if path in ("/", "/index.html"):
            return _static("index.html")
        if path.startswith("/ui/"):
            return _static(path.removeprefix("/ui/"))
        return Response(404, {"ok": False, "error": "unknown_method"})

    def error_response(self, status: int, message: str) -> Response:
        if status == 429:
            return slack_error(SlackError("ratelimited", status=429, retry_after=1))
        return slack_error(SlackError("fatal_error" if status >= 500 else "invalid_request", status=status))


def _static(name: str) -> Response:
    path = UI_DIR / name
    if "/" in name or path.suffix not in _UI_TYPES or not path.is_file():
        return Response(404, "not found", content_type="text/plain")
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'self'"}
    return Response(200, path.read_bytes(), headers=headers, content_type=_UI_TYPES[path.suffix])


class SlackSandbox:
    """A running Slack sandbox. Acting as a user: `click`, `click_view`, `submit_view`, `slash`,
    `open_home`, `replay` (each returns the `Delivery` with the bot's status and latency)."""

    def __init__(self, server: SandboxServer, api: SlackWebApi, actor: Actor) -> None:
        self.server = server
        self.api = api
        self.actor = actor
        self.workspace = api.ws
        self.crm_activity: Callable[[], Any] | None = None
        self.time_travel: Callable[[], Any] | None = None
        self._stopping = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="slack-state", daemon=True)
        self._flusher.start()

    def info(self) -> dict[str, str]:
        return {
            "base_url": f"{self.server.url}/api/",
            "bot_token": self.workspace.data["bot_token"],
            "app_token": self.workspace.data["app_token"],
            "signing_secret": self.workspace.data["signing_secret"],
            "ui_url": f"{self.server.url}/",
        }

    def use_socket_mode(self) -> SocketModeServer:
        """Turn Socket Mode on, as in the app's settings: `apps.connections.open` hands out WebSocket
        URLs, and every delivery goes over the socket instead of to a bot URL."""
        if self.api.socket is None:
            self.api.socket = SocketModeServer(APP_ID)
            self.actor.transport = SocketTransport(self.api.socket)
            self.actor.bot_url = "socket"
        return self.api.socket

    def set_bot_url(self, url: str) -> None:
        """Where deliveries go: the bot's Bolt endpoint, e.g. ``http://127.0.0.1:3000/slack/events``."""
        self.actor.bot_url = url

    def set_crm_activity(self, fn: Callable[[], Any]) -> None:
        """Fill the page's "CRM activity" panel: `fn()` returns ``{crm name: [record dict, ...]}``."""
        self.crm_activity = fn

    def set_time_travel(self, fn: Callable[[], Any]) -> None:
        """The page's "time travel" button calls `fn()` (advance the shared clock, run the jobs)."""
        self.time_travel = fn

    def stop(self) -> None:
        self._stopping.set()
        if self.api.socket is not None:
            self.api.socket.stop()
        self.server.stop()
        self.workspace.flush()

    def _flush_loop(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            self.workspace.flush()

    # -- acting as a user --------------------------------------------------------------------------------
    def click(self, user: str, channel: str, ts: str, action_id: str, value: str | None = None,
              selected: Any = None, tamper: Tamper = Tamper()) -> Delivery:  # fmt: skip
        return self.actor.click(user, channel, ts, action_id, value, selected, tamper)

    def prepare_click(self, user: str, channel: str, ts: str, action_id: str, value: str | None = None,
                      selected: Any = None) -> Delivery:  # fmt: skip
        return self.actor.prepare_click(user, channel, ts, action_id, value, selected)

    def click_view(self, user: str, view_id: str, action_id: str, value: str | None = None,
                   selected: Any = None, tamper: Tamper = Tamper()) -> Delivery:  # fmt: skip
        return self.actor.click_view(user, view_id, action_id, value, selected, tamper)

    def submit_view(
        self, user: str, view_id: str, values: dict[str, Any], tamper: Tamper = Tamper()
    ) -> Delivery:
        return self.actor.submit_view(user, view_id, values, tamper)

    def slash(self, user: str, command: str, text: str = "", channel: str = "cs-alerts",
              tamper: Tamper = Tamper()) -> Delivery:  # fmt: skip
        return self.actor.slash(user, command, text, channel, tamper)

    def open_home(self, user: str, tamper: Tamper = Tamper()) -> Delivery:
        return self.actor.open_home(user, tamper)

    def close_view(self, user: str, view_id: str, tamper: Tamper = Tamper()) -> Delivery | None:
        return self.actor.close_view(user, view_id, tamper)

    def replay(self, delivery: Delivery) -> Delivery:
        return self.actor.replay(delivery)

    def deliveries(self) -> list[Delivery]:
        return self.actor.transport.records()

    def api_calls(self, method: str) -> int:
        """How many times `method` (e.g. ``auth.test``) was called with the bot's token."""
        return self.api.calls[method]

    # -- reading the workspace ---------------------------------------------------------------------------
    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in `channel` (id or name), ephemeral ones included (``ephemeral_for`` set)."""
        with self.workspace.lock:
            return [dict(m) for m in self.workspace.messages(self.workspace.channel(channel)["id"])]

    def open_modal(self, user: str) -> dict[str, Any] | None:
        """The modal on top of `user`'s stack, or None."""
        uid = self.actor.user(user)["id"]
        with self.workspace.lock:
            stack = stacks(self.api).get(uid) or []
            return dict(self.workspace.views[stack[-1]]) if stack else None

    def home_view(self, user: str) -> dict[str, Any] | None:
        uid = self.actor.user(user)["id"]
        with self.workspace.lock:
            home: dict[str, Any] | None = self.workspace.data["home"].get(uid)
            return home


def start_slack(
    *,
    state_dir: Path,
    clock: Clock | None = None,
    port: int = 0,
    bot_url: str | None = None,
    csm_count: int = 20,
    post_interval: float = 1.0,
) -> SlackSandbox:
    """Start the Slack sandbox on 127.0.0.1:`port`. The workspace is seeded (csm000..csm{csm_count-1},
    manager, admin, bot, channels) only when `state_dir` holds no state yet. `post_interval` is the
    chat.postMessage limit per channel in seconds (Slack: 1)."""
    clock = clock or Clock()
    workspace = Workspace(state_dir, csm_count, created=int(clock.now().timestamp()))
    api = SlackWebApi(workspace, clock, post_interval)
    actor = Actor(api, bot_url)
    server = SandboxServer(SlackApp(api, actor), port=port, clock=clock)
    api.base_url = server.url
    sandbox = SlackSandbox(server, api, actor)
    server.control_hooks.update(control.hooks(sandbox))
    server.start()
    return sandbox
