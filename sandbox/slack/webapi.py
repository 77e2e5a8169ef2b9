"""The Slack Web API served at ``/api/<method>``: argument parsing (query, form-encoded and JSON bodies),
the token check, method dispatch and Slack's ``{"ok": false, "error": ...}`` answers.

The methods themselves live in `methods_chat`, `methods_directory`, `methods_views` and `methods_files`;
each module exports ``METHODS: dict[name, fn(api, args) -> dict]``.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from sandbox.httpbase import Clock, Request, Response
from sandbox.slack import methods_chat, methods_directory, methods_files, methods_views
from sandbox.slack.socket_mode import SocketModeServer
from sandbox.slack.state import SlackError, Workspace

Args = dict[str, Any]
Method = Callable[["SlackWebApi", Args], dict[str, Any]]
_JSON_ARGS = ("blocks", "view", "attachments", "files", "metadata", "channels")


def parse_args(request: Request) -> Args:
    args: Args = {k: v[0] for k, v in request.query.items() if v}
    ctype = (request.header("content-type") or "").split(";")[0].strip().lower()
    if request.body:
        if ctype == "application/json":
            try:
                body = request.json()
            except ValueError as exc:
                raise SlackError("invalid_json") from exc
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            args.update(body)
        else:
            form = parse_qs(request.body.decode(), keep_blank_values=True)
            args.update({k: v[0] for k, v in form.items() if v})
    for name in _JSON_ARGS:
        value = args.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                args[name] = json.loads(value)
            except ValueError as exc:
                raise SlackError(f"invalid_arguments:{name}") from exc
    return args


class PostRateLimit:
    """1 message per `interval` seconds per channel (Slack's chat.postMessage limit), on the sandbox clock."""

    def __init__(self, clock: Clock, interval: float) -> None:
        self.clock = clock
        self.interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.rejected = 0

    def take(self, channel_id: str) -> None:
        now = self.clock.now().timestamp()
        with self._lock:
            last = self._last.get(channel_id)
            if last is not None and now - last < self.interval:
                self.rejected += 1
                retry_after = max(1, math.ceil(self.interval - (now - last)))
                raise SlackError("ratelimited", status=429, retry_after=retry_after)
            self._last[channel_id] = now


class SlackWebApi:
    def __init__(self, workspace: Workspace, clock: Clock, post_interval: float = 1.0) -> None:
        self.ws = workspace
        self.clock = clock
        self.rate = PostRateLimit(clock, post_interval)
        self.base_url = ""  # the server's URL, set once it listens
        self.methods: dict[str, Method] = {
            **methods_directory.METHODS,
            **methods_chat.METHODS,
            **methods_views.METHODS,
            **methods_files.METHODS,
        }
        self.triggers: dict[str, tuple[str, float]] = {}  # trigger_id -> (user_id, issued monotonic)
        self._ids = 0
        self._ids_lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # method -> calls made with a valid token
        self.socket: SocketModeServer | None = None  # set when the app uses Socket Mode

    def _open_connection(self, token: str) -> dict[str, Any]:
        """`apps.connections.open`: app-level token only; a WebSocket URL when Socket Mode is on."""
        if token == self.ws.data["bot_token"]:
            raise SlackError("not_allowed_token_type")
        if token != self.ws.data["app_token"]:
            raise SlackError("invalid_auth")
        if self.socket is None:
            raise SlackError("socket_mode_not_enabled")  # the app's settings have Socket Mode off
        return {"url": self.socket.open_url()}

    def new_id(self, prefix: str) -> str:
        with self._ids_lock:
            self._ids += 1
            return f"{prefix}{self.clock.now().strftime('%y%m%d%H%M%S')}{self._ids:05d}"

    def now(self) -> float:
        return self.clock.now().timestamp()

    def call(self, method: str, request: Request) -> Response:
        try:
            fn = self.methods.get(method)
            if fn is None and method != "apps.connections.open":
                raise SlackError("unknown_method")
            args = parse_args(request)
            bearer = (request.header("authorization") or "").removeprefix("Bearer ").strip()
            token = bearer or args.pop("token", None)
            if not token:
                raise SlackError("not_authed")
            if method == "apps.connections.open":
                return Response(200, {"ok": True, **self._open_connection(token)})
            if token != self.ws.data["bot_token"] or fn is None:
                raise SlackError("invalid_auth")
            with self._ids_lock:
                self.calls[method] += 1
            with self.ws.lock:
                body = fn(self, args)
            return Response(200, {"ok": True, **body})
        except SlackError as err:
            return slack_error(err)


def slack_error(err: SlackError) -> Response:
    extra = dict(err.extra)
    headers = {}
    retry_after = extra.pop("retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(err.status, {"ok": False, "error": err.code, **extra}, headers=headers)
