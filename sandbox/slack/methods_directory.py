"""auth.test, conversations.*, users.* and usergroups.users.list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.slack.seed import BOT_ID, BOT_USER_ID, TEAM_ID
from sandbox.slack.state import SlackError

if TYPE_CHECKING:
    from sandbox.slack.webapi import Args, SlackWebApi


def page(items: list[Any], args: Args, default_limit: int = 100) -> tuple[list[Any], dict[str, str]]:
    """Slack's cursor paging: ``cursor`` is the offset, ``response_metadata.next_cursor`` the next one."""
    try:
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or default_limit) or default_limit
    except ValueError as exc:
        raise SlackError("invalid_cursor") from exc
    chunk = items[start : start + limit]
    nxt = str(start + limit) if start + limit < len(items) else ""
    return chunk, {"next_cursor": nxt}


def auth_test(api: SlackWebApi, args: Args) -> dict[str, Any]:
    return {
        "url": f"{api.base_url}/",
        "team": "retainer",
        "user": "retainer",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _public(channel: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in channel.items() if k != "members"}
    out["num_members"] = len(channel["members"])
    out["is_member"] = BOT_USER_ID in channel["members"]
    return out


def conversations_list(api: SlackWebApi, args: Args) -> dict[str, Any]:
    types = set(str(args.get("types") or "public_channel").split(","))
    wanted = []
    for c in api.ws.channels.values():
        kind = "im" if c.get("is_im") else "private_channel" if c.get("is_private") else "public_channel"
        if kind in types and not (c.get("is_archived") and args.get("exclude_archived") in ("true", True)):
            wanted.append(_public(c))
    chunk, meta = page(wanted, args)
    return {"channels": chunk, "response_metadata": meta}


def conversations_info(api: SlackWebApi, args: Args) -> dict[str, Any]:
    return {"channel": _public(api.ws.channel(args.get("channel")))}


def conversations_members(api: SlackWebApi, args: Args) -> dict[str, Any]:
    chunk, meta = page(api.ws.channel(args.get("channel"))["members"], args)
    return {"members": chunk, "response_metadata": meta}


def conversations_join(api: SlackWebApi, args: Args) -> dict[str, Any]:
    channel = api.ws.channel(args.get("channel"))
    if channel.get("is_archived"):
        raise SlackError("is_archived")
    if BOT_USER_ID not in channel["members"]:
        channel["members"] = sorted([*channel["members"], BOT_USER_ID])
        api.ws.touch()
    return {"channel": _public(channel)}


def users_info(api: SlackWebApi, args: Args) -> dict[str, Any]:
    return {"user": api.ws.user(args.get("user"))}


def users_lookup_by_email(api: SlackWebApi, args: Args) -> dict[str, Any]:
    if not args.get("email"):
        raise SlackError("invalid_arguments")
    return {"user": api.ws.user_by_email(str(args["email"]))}


def users_list(api: SlackWebApi, args: Args) -> dict[str, Any]:
    chunk, meta = page(list(api.ws.users.values()), args, default_limit=200)
    return {"members": chunk, "cache_ts": int(api.now()), "response_metadata": meta}


USERGROUPS = {"S0MANAGERS": ("cs-managers", ("UMANAGER",)), "S0ADMINS": ("cs-admins", ("UADMIN",))}


def usergroups_users_list(api: SlackWebApi, args: Args) -> dict[str, Any]:
    group = USERGROUPS.get(str(args.get("usergroup") or ""))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group[1])}


METHODS = {
    "auth.test": auth_test,
    "conversations.list": conversations_list,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.join": conversations_join,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "users.list": users_list,
    "usergroups.users.list": usergroups_users_list,
}
