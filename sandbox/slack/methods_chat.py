"""chat.postMessage / update / postEphemeral / delete / getPermalink."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.slack import blockkit
from sandbox.slack.seed import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID
from sandbox.slack.state import SlackError

if TYPE_CHECKING:
    from sandbox.slack.webapi import Args, SlackWebApi

TEXT_MAX = 40_000


def message_content(args: Args) -> dict[str, Any]:
    """text/blocks/attachments/metadata of a message, checked like Slack checks them."""
    blocks = blockkit.parse_blocks(args.get("blocks"))
    text = args.get("text")
    if not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    if text and len(str(text)) > TEXT_MAX:
        raise SlackError("msg_too_long")
    content: dict[str, Any] = {"text": str(text or "")}
    if blocks is not None:
        blockkit.validate(blocks, "message")
        content["blocks"] = blocks
    for key in ("attachments", "metadata"):
        if args.get(key):
            content[key] = args[key]
    return content


def store_message(
    api: SlackWebApi, channel_id: str, content: dict[str, Any], *, user: str = BOT_USER_ID, **extra: Any
) -> dict[str, Any]:
    """Append a message (lock held) and return it."""
    message: dict[str, Any] = {"type": "message", "user": user, "team": TEAM_ID, **content}
    if user == BOT_USER_ID:
        message.update(bot_id=BOT_ID, app_id=APP_ID)
    message.update({k: v for k, v in extra.items() if v})
    message["ts"] = api.ws.next_ts(channel_id, api.now())
    thread_ts = message.get("thread_ts")
    if thread_ts:
        parent = api.ws.message(channel_id, thread_ts)
        parent["reply_count"] = parent.get("reply_count", 0) + 1
    api.ws.messages(channel_id).append(message)
    api.ws.touch()
    return message


def public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "ephemeral_for"}


def chat_post_message(api: SlackWebApi, args: Args) -> dict[str, Any]:
    channel = api.ws.channel(args.get("channel"))
    if channel.get("is_archived"):
        raise SlackError("is_archived")
    content = message_content(args)
    api.rate.take(channel["id"])
    message = store_message(api, channel["id"], content, thread_ts=args.get("thread_ts"))
    return {"channel": channel["id"], "ts": message["ts"], "message": public(message)}


def chat_update(api: SlackWebApi, args: Args) -> dict[str, Any]:
    channel = api.ws.channel(args.get("channel"))
    message = api.ws.message(channel["id"], args.get("ts"))
    if message.get("user") != BOT_USER_ID or message.get("ephemeral_for"):
        raise SlackError("cant_update_message")
    message.update(message_content(args))  # blocks left out keep the previous blocks, as in Slack
    message["edited"] = {"user": BOT_USER_ID, "ts": f"{api.now():.6f}"}
    api.ws.touch()
    return {
        "channel": channel["id"],
        "ts": message["ts"],
        "text": message["text"],
        "message": public(message),
    }


def chat_post_ephemeral(api: SlackWebApi, args: Args) -> dict[str, Any]:
    channel = api.ws.channel(args.get("channel"))
    user = api.ws.user(args.get("user"))
    if user["id"] not in channel["members"]:
        raise SlackError("user_not_in_channel")
    message = store_message(api, channel["id"], message_content(args), ephemeral_for=user["id"])
    return {"message_ts": message["ts"]}


def chat_delete(api: SlackWebApi, args: Args) -> dict[str, Any]:
    channel = api.ws.channel(args.get("channel"))
    message = api.ws.message(channel["id"], args.get("ts"))
    if message.get("user") != BOT_USER_ID:
        raise SlackError("cant_delete_message")
    api.ws.messages(channel["id"]).remove(message)
    api.ws.touch()
    return {"channel": channel["id"], "ts": message["ts"]}


def permalink(api: SlackWebApi, channel_id: str, ts: str) -> str:
    return f"{api.base_url}/#/archives/{channel_id}/p{ts.replace('.', '')}"


def chat_get_permalink(api: SlackWebApi, args: Args) -> dict[str, Any]:
    channel = api.ws.channel(args.get("channel"))
    message = api.ws.message(channel["id"], args.get("message_ts"))
    return {"channel": channel["id"], "permalink": permalink(api, channel["id"], message["ts"])}


METHODS = {
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
}
