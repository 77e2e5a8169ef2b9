"""Small helpers shared by the listeners: who clicked, where, the redelivery key, refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.permissions import Decision, Role, may_act_on_alert, role_of
from bot.slack.deps import SlackDeps
from messages.notices import refusal_message
from store.models import Alert
from store.uow import unit_of_work


@dataclass(frozen=True)
class Click:
    user_id: str
    channel_id: str | None
    message_ts: str | None
    action_id: str
    request_id: str  # the same for a redelivery of this very click
    trigger_id: str | None
    action: Mapping[str, Any]
    in_view: bool = False  # clicked in App Home (or a modal), not in a message

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Click:
        action = body["actions"][0]
        container = body.get("container") or {}
        user_id = body["user"]["id"]
        return cls(
            user_id=user_id,
            channel_id=container.get("channel_id") or (body.get("channel") or {}).get("id"),
            message_ts=container.get("message_ts"),
            action_id=action["action_id"],
            request_id=request_key(user_id, str(action.get("action_ts", "")), action["action_id"]),
            trigger_id=body.get("trigger_id"),
            action=action,
            in_view=container.get("type") == "view",
        )


def ack_now(ack: Ack) -> None:
    """The ack of every listener: answer Slack at once. The app processes the ack before responding,
    so the listener's work is a Bolt lazy listener, run after the answer (see `bot/slack/after_ack.py`)."""
    ack()


def request_key(*parts: str) -> str:
    """A fixed-length key naming one Slack interaction (fits `alert_events.request_id`)."""
    return "slack:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def channel_members(client: WebClient, channel_id: str | None) -> list[str]:
    if not channel_id:
        return []
    members: list[str] = []
    try:
        for page in client.conversations_members(channel=channel_id, limit=1000):
            members.extend(page.get("members") or [])
    except SlackApiError:
        return []
    return members


def check_alert_permission(deps: SlackDeps, client: WebClient, user_id: str, alert_id: str) -> Decision:
    with unit_of_work(deps.engine) as session:
        role = role_of(user_id, deps.roles, session)
        alert = session.get(Alert, alert_id)
        if alert is None:
            return Decision(False, "This alert no longer exists.")
        owner, channel = alert.owner_slack_id, alert.channel_id
    if role in (Role.MANAGER, Role.ADMIN) or user_id == owner:
        return may_act_on_alert(user_id, role, owner, [])
    return may_act_on_alert(user_id, role, owner, channel_members(client, channel))


def tell(client: WebClient, user_id: str, channel_id: str | None, attempted: str, reason: str) -> None:
    """An ephemeral explanation in the channel, or a DM when there is no channel (App Home, modals)."""
    message = refusal_message(attempted, reason)
    blocks = [dict(b) for b in message.blocks]
    if channel_id:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=message.text, blocks=blocks)
    else:
        client.chat_postMessage(channel=user_id, text=message.text, blocks=blocks)
