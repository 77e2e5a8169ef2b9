"""views.open / push / update / publish. A modal opens only with a fresh trigger_id (3 s, used once),
as the act-as-user deliveries issue them; each user has a stack of at most 3 modals."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from sandbox.slack import blockkit
from sandbox.slack.seed import APP_ID, BOT_ID, TEAM_ID
from sandbox.slack.state import SlackError

if TYPE_CHECKING:
    from sandbox.slack.webapi import Args, SlackWebApi

TRIGGER_TTL_SECONDS = 3.0
MAX_STACK = 3


def _view_arg(args: Args, surface: str) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    if view.get("type") != surface:
        raise SlackError(
            "invalid_arguments", response_metadata={"messages": [f"view.type must be {surface}"]}
        )
    blocks = blockkit.parse_blocks(view.get("blocks")) or []
    blockkit.validate(blocks, surface)
    if surface == "modal" and not view.get("title"):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["view.title is required"]})
    return view


def _build(
    view: dict[str, Any], vid: str, *, root: str | None = None, previous: str | None = None
) -> dict[str, Any]:
    return {
        "id": vid,
        "team_id": TEAM_ID,
        "type": view["type"],
        "blocks": view.get("blocks") or [],
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": secrets.token_hex(8),
        "title": view.get("title"),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "external_id": view.get("external_id", ""),
        "root_view_id": root or vid,
        "previous_view_id": previous,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
    }


def take_trigger(api: SlackWebApi, trigger_id: str | None) -> str:
    """The user a trigger_id was issued to; it expires after 3 s and works once."""
    if not trigger_id or trigger_id not in api.triggers:
        raise SlackError("invalid_trigger_id")
    user_id, issued = api.triggers.pop(trigger_id)
    if time.monotonic() - issued > TRIGGER_TTL_SECONDS:
        raise SlackError("expired_trigger_id")
    return user_id


def stacks(api: SlackWebApi) -> dict[str, list[str]]:
    return api.ws.data.setdefault("modal_stacks", {})  # type: ignore[no-any-return]


def views_open(api: SlackWebApi, args: Args) -> dict[str, Any]:
    view = _view_arg(args, "modal")
    user_id = take_trigger(api, args.get("trigger_id"))
    built = _build(view, api.new_id("V"))
    api.ws.views[built["id"]] = built
    stacks(api)[user_id] = [built["id"]]
    api.ws.touch()
    return {"view": built}


def views_push(api: SlackWebApi, args: Args) -> dict[str, Any]:
    view = _view_arg(args, "modal")
    return {"view": push_view(api, take_trigger(api, args.get("trigger_id")), view)}


def push_view(api: SlackWebApi, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    """Push `view` on the user's modal stack (views.push, or a view_submission's ``push`` answer)."""
    stack = stacks(api).get(user_id) or []
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    built = _build(view, api.new_id("V"), root=api.ws.views[stack[0]]["id"], previous=stack[-1])
    api.ws.views[built["id"]] = built
    stack.append(built["id"])
    api.ws.touch()
    return built


def check_view(view: Any, surface: str) -> dict[str, Any]:
    return _view_arg({"view": view}, surface)


def views_update(api: SlackWebApi, args: Args) -> dict[str, Any]:
    """Update a modal or a published App Home view by view_id (or a modal by external_id)."""
    vid = str(args.get("view_id") or "")
    homes = {v["id"]: user for user, v in api.ws.data["home"].items()}
    if not vid and args.get("external_id"):
        vid = next((v["id"] for v in api.ws.views.values() if v["external_id"] == args["external_id"]), "")
    current = api.ws.data["home"][homes[vid]] if vid in homes else api.ws.views.get(vid)
    if current is None:
        raise SlackError("not_found")
    if args.get("hash") and args["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    view = _view_arg(args, current["type"])
    built = _build(view, current["id"], root=current["root_view_id"], previous=current["previous_view_id"])
    if vid in homes:
        api.ws.data["home"][homes[vid]] = built
    else:
        api.ws.views[vid] = built
    api.ws.touch()
    return {"view": built}


def views_publish(api: SlackWebApi, args: Args) -> dict[str, Any]:
    user = api.ws.user(args.get("user_id"))
    view = _view_arg(args, "home")
    current = api.ws.data["home"].get(user["id"])
    if current and args.get("hash") and args["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    built = _build(view, current["id"] if current else api.new_id("V"))
    api.ws.data["home"][user["id"]] = built
    api.ws.touch()
    return {"view": built}


METHODS = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
