"""Acting as a user: clicks, view submissions, slash commands and App Home opens, delivered to the bot as
signed requests (see `delivery`), plus the ``response_url`` endpoints and what the bot's answers do.

Users can be named by id (``UCSM001``), e-mail or user name; channels by id or name.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from sandbox.httpbase import Request, Response
from sandbox.slack import payloads
from sandbox.slack.delivery import Delivery, Tamper, Transport
from sandbox.slack.methods_chat import store_message
from sandbox.slack.methods_views import check_view, push_view, stacks
from sandbox.slack.socket_mode import SocketTransport
from sandbox.slack.state import SlackError
from sandbox.slack.webapi import SlackWebApi

FORM = "application/x-www-form-urlencoded"
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
_PRUNE_ABOVE = 10_000  # issued trigger_ids / response_urls kept before expired ones are dropped
_UPDATABLE = ("blocks", "title", "submit", "close", "private_metadata", "callback_id")


class Actor:
    def __init__(self, api: SlackWebApi, bot_url: str | None) -> None:
        self.api = api
        self.ws = api.ws
        self.bot_url = bot_url
        self.transport: Transport | SocketTransport = Transport(api.ws.data["signing_secret"])
        self._responses: dict[str, dict[str, Any]] = {}  # response_url token -> its target
        self.response_posts: list[dict[str, Any]] = []  # what the bot posted to response_urls
        self._lock = threading.Lock()

    # -- lookups ---------------------------------------------------------------------------------------
    def user(self, ref: str) -> dict[str, Any]:
        with self.ws.lock:
            if ref in self.ws.users:
                return self.ws.users[ref]
            for u in self.ws.users.values():
                if ref in (u["name"], u["profile"].get("email")):
                    return u
        raise ValueError(f"no user {ref!r} in the workspace")

    def _channel(self, ref: str) -> dict[str, Any]:
        with self.ws.lock:
            try:
                return self.ws.channel(ref)
            except SlackError as exc:
                raise ValueError(f"no channel {ref!r} in the workspace") from exc

    def _trigger(self, user_id: str) -> str:
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        now = time.monotonic()
        if len(self.api.triggers) > _PRUNE_ABOVE:
            for stale in [t for t, (_, at) in list(self.api.triggers.items()) if now - at > 60]:
                self.api.triggers.pop(stale, None)
        self.api.triggers[trigger_id] = (user_id, now)
        return trigger_id

    def _response_url(self, **target: Any) -> str:
        token = secrets.token_urlsafe(18)
        now = time.monotonic()
        with self._lock:
            if len(self._responses) > _PRUNE_ABOVE:
                for stale in [
                    t for t, r in self._responses.items() if now - r["issued"] > RESPONSE_URL_TTL_SECONDS
                ]:
                    del self._responses[stale]
            self._responses[token] = {**target, "uses": 0, "issued": now}
        return f"{self.api.base_url}/response/{token}"

    def _send(self, kind: str, user: str, body: bytes, content_type: str, tamper: Tamper) -> Delivery:
        if not self.bot_url:
            raise RuntimeError("the Slack sandbox has no bot URL: call set_bot_url() first")
        return self.transport.send(kind, user, self.bot_url, body, content_type, tamper)

    def _interaction(self, payload: dict[str, Any], user: str, tamper: Tamper) -> Delivery:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._send(payload["type"], user, body, FORM, tamper)

    # -- the acts --------------------------------------------------------------------------------------
    def click(
        self,
        user: str,
        channel: str,
        ts: str,
        action_id: str,
        value: str | None = None,
        selected: Any = None,
        tamper: Tamper = Tamper(),
    ) -> Delivery:
        """Click a button (or pick from a select/date picker/overflow) in a message."""
        payload, user_id = self._click_payload(user, channel, ts, action_id, value, selected)
        return self._interaction(payload, user_id, tamper)

    def prepare_click(
        self, user: str, channel: str, ts: str, action_id: str, value: str | None = None, selected: Any = None
    ) -> Delivery:
        """The signed request `click` would send, not sent: a load generator in another process sends it
        (within Slack's five-minute window), so the sandbox's own work does not weigh on the measurement."""
        payload, user_id = self._click_payload(user, channel, ts, action_id, value, selected)
        if not self.bot_url:
            raise RuntimeError("the Slack sandbox has no bot URL: call set_bot_url() first")
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.transport.prepare(payload["type"], user_id, self.bot_url, body, FORM, Tamper())

    def _click_payload(
        self, user: str, channel: str, ts: str, action_id: str, value: str | None, selected: Any
    ) -> tuple[dict[str, Any], str]:
        who, where = self.user(user), self._channel(channel)
        with self.ws.lock:
            if who["id"] not in where["members"]:
                raise ValueError(f"{who['id']} is not a member of {where['id']}")
            found = [m for m in self.ws.messages(where["id"]) if m["ts"] == ts]
            if not found:
                raise ValueError(f"no message {ts} in {where['id']}")
            message = found[0]
            if message.get("ephemeral_for") not in (None, who["id"]):
                raise ValueError(f"message {ts} is not visible to {who['id']}")
            action, state = payloads.block_action(message.get("blocks") or [], action_id, value, selected)
            ephemeral = bool(message.get("ephemeral_for"))
            payload = payloads.block_actions(
                user=who,
                action=action,
                state=state,
                trigger_id=self._trigger(who["id"]),
                response_url=self._response_url(
                    user=who["id"], channel=where["id"], message_ts=ts, ephemeral=ephemeral
                ),
                channel=where,
                message=message,
                ephemeral=ephemeral,
            )
        return payload, who["id"]

    def click_view(
        self,
        user: str,
        view_id: str,
        action_id: str,
        value: str | None = None,
        selected: Any = None,
        tamper: Tamper = Tamper(),
    ) -> Delivery:
        """Click an element in a modal or in the user's App Home."""
        who = self.user(user)
        with self.ws.lock:
            view = self._visible_view(who["id"], view_id)
            action, state = payloads.block_action(view.get("blocks") or [], action_id, value, selected)
            payload = payloads.block_actions(
                user=who, action=action, state=state, trigger_id=self._trigger(who["id"]), response_url=None,
                view=view,
            )  # fmt: skip
        return self._interaction(payload, who["id"], tamper)

    def _visible_view(self, user_id: str, view_id: str) -> dict[str, Any]:
        home = self.ws.data["home"].get(user_id)
        if home is not None and home["id"] == view_id:
            return dict(home)
        if view_id in stacks(self.api).get(user_id, []):
            return dict(self.ws.views[view_id])
        raise ValueError(f"view {view_id} is not open for {user_id}")

    def submit_view(
        self, user: str, view_id: str, values: dict[str, Any], tamper: Tamper = Tamper()
    ) -> Delivery:
        """Submit the modal `view_id` with `values` keyed by input action_id (or block_id), then apply the
        bot's ``response_action`` (errors / update / push / clear; none closes the modal)."""
        who = self.user(user)
        with self.ws.lock:
            if view_id not in stacks(self.api).get(who["id"], []):
                raise ValueError(f"modal {view_id} is not open for {who['id']}")
            view = dict(self.ws.views[view_id])
            view["state"] = {"values": payloads.view_state(view, values)}
            self.ws.views[view_id]["state"] = view["state"]
            payload = payloads.view_submission(who, view, self._trigger(who["id"]))
        delivery = self._interaction(payload, who["id"], tamper)
        if delivery.status == 200:
            delivery.outcome = self._apply_view_answer(who["id"], view_id, delivery.response_body)
        return delivery

    def close_view(self, user: str, view_id: str, tamper: Tamper = Tamper()) -> Delivery | None:
        """The user dismisses a modal; a view opened with notify_on_close sends ``view_closed``."""
        who = self.user(user)
        with self.ws.lock:
            stack = stacks(self.api).get(who["id"], [])
            if view_id not in stack:
                raise ValueError(f"modal {view_id} is not open for {who['id']}")
            closed = [dict(self.ws.views[v]) for v in stack[stack.index(view_id) :]]
            del stack[stack.index(view_id) :]
            self.ws.touch()
        notify = next((v for v in closed if v.get("notify_on_close")), None)
        if notify is None:
            return None
        payload = payloads.view_closed(who, notify, is_cleared=len(closed) > 1)
        return self._interaction(payload, who["id"], tamper)

    def slash(
        self, user: str, command: str, text: str = "", channel: str = "cs-alerts", tamper: Tamper = Tamper()
    ) -> Delivery:
        """Run a slash command; a body in the bot's answer becomes an ephemeral (or in_channel) message."""
        who, where = self.user(user), self._channel(channel)
        if who["id"] not in where["members"]:
            raise ValueError(f"{who['id']} is not a member of {where['id']}")
        url = self._response_url(user=who["id"], channel=where["id"], message_ts=None, ephemeral=False)
        form = payloads.slash_command(who, where, command, text, self._trigger(who["id"]), url)
        delivery = self._send("slash_command", who["id"], urlencode(form).encode(), FORM, tamper)
        if delivery.status == 200 and delivery.response_body.strip():
            try:
                answer = json.loads(delivery.response_body)
            except ValueError:
                answer = {"text": delivery.response_body}
            delivery.outcome = self._apply_response(
                {"user": who["id"], "channel": where["id"], "message_ts": None, "ephemeral": False}, answer
            )
        return delivery

    def open_home(self, user: str, tamper: Tamper = Tamper()) -> Delivery:
        """Open the App Home tab: an ``app_home_opened`` event through the Events API."""
        who = self.user(user)
        with self.ws.lock:
            dm = self.ws.channel(who["id"])["id"]
            view = self.ws.data["home"].get(who["id"])
            event = payloads.app_home_opened(who, dm, view, "Ev" + secrets.token_hex(8).upper())
        return self._send("event_callback", who["id"], json.dumps(event).encode(), "application/json", tamper)

    def replay(self, delivery: Delivery) -> Delivery:
        return self.transport.replay(delivery)

    # -- the bot's answers -----------------------------------------------------------------------------
    def _apply_view_answer(self, user_id: str, view_id: str, body: str) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        if body.strip():
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {}
        action = answer.get("response_action")
        try:
            self._apply_response_action(user_id, view_id, action, answer)
        except SlackError as err:  # Slack shows the user an error and leaves the modal as it was
            return {"response_action": action, "error": err.code, **err.extra}
        return {
            "response_action": action or "close",
            **({"errors": answer["errors"]} if action == "errors" else {}),
        }

    def _apply_response_action(
        self, user_id: str, view_id: str, action: str | None, answer: dict[str, Any]
    ) -> None:
        with self.ws.lock:
            stack = stacks(self.api).setdefault(user_id, [])
            errors = self.ws.data.setdefault("view_errors", {})
            errors.pop(view_id, None)
            if action == "errors":
                errors[view_id] = answer.get("errors", {})
            elif action == "update":
                fresh = check_view(answer.get("view"), "modal")
                self.ws.views[view_id].update({k: v for k, v in fresh.items() if k in _UPDATABLE})
                self.ws.views[view_id]["hash"] = secrets.token_hex(8)
            elif action == "push":
                push_view(self.api, user_id, check_view(answer.get("view"), "modal"))
            elif action == "clear":
                stack.clear()
            elif view_id in stack:
                del stack[stack.index(view_id) :]
            self.ws.touch()

    def handle_response_url(self, token: str, request: Request) -> Response:
        with self._lock:
            target = self._responses.get(token)
            expired = target is None or time.monotonic() - target["issued"] > RESPONSE_URL_TTL_SECONDS
            if target is not None and not expired:
                target["uses"] += 1
                expired = target["uses"] > RESPONSE_URL_USES
        if expired or target is None:
            return Response(404, "expired_url", content_type="text/plain")
        try:
            answer = request.json()
        except ValueError:
            return Response(400, "invalid_payload", content_type="text/plain")
        if not isinstance(answer, dict):
            return Response(400, "invalid_payload", content_type="text/plain")
        try:
            applied = self._apply_response(target, answer)
        except SlackError as err:
            return Response(400, err.code, content_type="text/plain")
        self.response_posts.append({"token": token, "body": answer, "applied": applied})
        return Response(200, "ok", content_type="text/plain")

    def _apply_response(self, target: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        """Apply a response_url post or a slash command's answer: delete_original, replace_original,
        in_channel, or (default) an ephemeral message to the user."""
        content = {k: answer[k] for k in ("text", "blocks", "attachments") if answer.get(k)}
        channel_id, ts = target["channel"], target["message_ts"]
        with self.ws.lock:
            if answer.get("delete_original") in (True, "true") and ts:
                self.ws.messages(channel_id).remove(self.ws.message(channel_id, ts))
                self.ws.touch()
                return {"deleted": ts}
            if answer.get("replace_original") in (True, "true") and ts:
                message = self.ws.message(channel_id, ts)
                message.update(content)
                self.ws.touch()
                return {"replaced": ts}
            if not content:
                raise SlackError("no_text")
            if answer.get("response_type") == "in_channel":
                return {"posted": store_message(self.api, channel_id, content)["ts"]}
            message = store_message(self.api, channel_id, content, ephemeral_for=target["user"])
            return {"ephemeral": message["ts"]}
