"""The workspace's state (users, channels, messages, views, App Home views, files) and its persistence.

State is one JSON document in ``state_dir/slack.json``. Writes are cheap: a mutation marks the state dirty
and bumps `version` (the web page polls it); `flush()` writes the file atomically, and `SlackSandbox`
flushes on a short interval and on stop, so a restart with the same state_dir keeps everything.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from sandbox.slack.seed import seed_workspace


class SlackError(Exception):
    """A Web API error: answered as ``{"ok": false, "error": code}`` (with optional extra fields)."""

    def __init__(self, code: str, status: int = 200, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.extra = extra


class Workspace:
    def __init__(self, state_dir: Path, csm_count: int, created: int) -> None:
        self.path = Path(state_dir) / "slack.json"
        self.lock = threading.RLock()
        self.version = 0
        self._dirty = False
        if self.path.exists():
            self.data: dict[str, Any] = json.loads(self.path.read_text())
            self.data.setdefault("app_token", "xapp-1-" + secrets.token_hex(12))  # state from before it
        else:
            self.data = seed_workspace(csm_count, created)
            self._dirty = True
            self.flush()

    # -- persistence ---------------------------------------------------------------------------------
    def touch(self) -> None:
        """Record a mutation (call with the lock held)."""
        self.version += 1
        self._dirty = True

    def flush(self) -> None:
        with self.lock:
            if not self._dirty:
                return
            text = json.dumps(self.data, separators=(",", ":"))
            self._dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.path)

    # -- lookups -------------------------------------------------------------------------------------
    @property
    def users(self) -> dict[str, dict[str, Any]]:
        return self.data["users"]  # type: ignore[no-any-return]

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        return self.data["channels"]  # type: ignore[no-any-return]

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        return self.data["views"]  # type: ignore[no-any-return]

    def user(self, user_id: str | None) -> dict[str, Any]:
        if not user_id:
            raise SlackError("user_not_found")
        found = self.users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def user_by_email(self, email: str) -> dict[str, Any]:
        for u in self.users.values():
            if u["profile"].get("email", "").lower() == email.lower():
                return u
        raise SlackError("users_not_found")

    def channel(self, ref: str | None) -> dict[str, Any]:
        """A channel by id, ``#name`` or name; a user id opens (or finds) the DM with the bot."""
        if not ref:
            raise SlackError("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        for c in self.channels.values():
            if c["name"] == name:
                return c
        if ref in self.users:
            return self._dm(ref)
        raise SlackError("channel_not_found")

    def _dm(self, user_id: str) -> dict[str, Any]:
        cid = "D" + user_id.removeprefix("U")
        if cid not in self.channels:
            self.channels[cid] = {
                "id": cid,
                "name": f"dm-{self.users[user_id]['name']}",
                "is_channel": False,
                "is_im": True,
                "is_private": True,
                "is_archived": False,
                "user": user_id,
                "created": 0,
                "members": sorted({user_id, "U0RETAINERBOT"}),
            }
            self.data["messages"][cid] = []
            self.touch()
        return self.channels[cid]

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return self.data["messages"].setdefault(channel_id, [])  # type: ignore[no-any-return]

    def message(self, channel_id: str, ts: str | None) -> dict[str, Any]:
        for m in self.messages(channel_id):
            if m["ts"] == ts:
                return m
        raise SlackError("message_not_found")

    def next_ts(self, channel_id: str, now: float) -> str:
        """A message ts from the sandbox clock, strictly increasing within the channel."""
        msgs = self.messages(channel_id)
        last = float(msgs[-1]["ts"]) if msgs else 0.0
        return f"{max(now, last + 0.000001):.6f}"
