"""The payloads Slack sends for a user's interaction: block_actions, view_submission, slash commands and
the app_home_opened event. Pure functions of the workspace objects they describe."""

from __future__ import annotations

import time
from typing import Any

from sandbox.slack import blockkit
from sandbox.slack.seed import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

VERIFICATION_TOKEN = "sandbox-verification-token"  # noqa: S105  (Slack's deprecated, non-secret token)
TEAM = {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def payload_user(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "username": user["name"], "name": user["name"], "team_id": TEAM_ID}


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    for option in _options(element):
        if option.get("value") == value:
            return option
    raise ValueError(f"{element.get('action_id')!r} has no option with value {value!r}")


def element_value(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The state/action fields Slack reports for `element` set to `value` (None: left empty)."""
    kind = element.get("type", "")
    if kind in ("static_select", "overflow", "radio_buttons", "external_select"):
        return {"selected_option": None if value is None else _option(element, value)}
    if kind == "multi_static_select":
        return {"selected_options": [_option(element, v) for v in value or []]}
    if kind == "users_select":
        return {"selected_user": value}
    if kind == "multi_users_select":
        return {"selected_users": list(value or [])}
    if kind == "conversations_select":
        return {"selected_conversation": value}
    if kind == "channels_select":
        return {"selected_channel": value}
    if kind == "datepicker":
        return {"selected_date": value}
    if kind == "timepicker":
        return {"selected_time": value}
    if kind == "checkboxes":
        return {"selected_options": [_option(element, v) for v in value or []]}
    return {"value": value}


def block_action(
    blocks: list[dict[str, Any]], action_id: str, value: Any, selected: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the action, the state values) for a click on `action_id` in `blocks`."""
    found = blockkit.find_element(blocks, action_id)
    if found is None:
        raise ValueError(f"no element with action_id {action_id!r}")
    block_id, element = found
    kind = element.get("type", "button")
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": kind}
    action["action_ts"] = f"{time.time():.6f}"
    if kind == "button":
        action["text"] = element.get("text")
        action["value"] = value if value is not None else element.get("value")
        if element.get("style"):
            action["style"] = element["style"]
        return action, {}
    fields = element_value(element, selected if selected is not None else value)
    action.update(fields)
    return action, {block_id: {action_id: {"type": kind, **fields}}}


def block_actions(
    *,
    user: dict[str, Any],
    action: dict[str, Any],
    state: dict[str, Any],
    trigger_id: str,
    response_url: str | None,
    channel: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    ephemeral: bool = False,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": payload_user(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": TEAM,
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": state},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
        return payload
    assert channel is not None and message is not None
    payload["container"] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel["id"],
        "is_ephemeral": ephemeral,
    }
    payload["channel"] = {"id": channel["id"], "name": channel["name"]}
    if not ephemeral:
        payload["message"] = {k: v for k, v in message.items() if k != "ephemeral_for"}
    payload["response_url"] = response_url
    return payload


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` for a submission of `values` (keyed by action_id or block_id).

    Raises ValueError for a key that names no input and for a required input left empty (Slack's client
    refuses to submit such a form)."""
    state: dict[str, Any] = {}
    used: set[str] = set()
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        block_id, action_id = block.get("block_id", ""), element.get("action_id", "")
        key = action_id if action_id in values else block_id if block_id in values else None
        value = values.get(key) if key else None
        if key:
            used.add(key)
        if value in (None, "", []) and not block.get("optional", False):
            raise ValueError(f"input {block_id or action_id!r} is required")
        fields = element_value(element, value)
        state.setdefault(block_id, {})[action_id] = {"type": element.get("type"), **fields}
    unknown = set(values) - used
    if unknown:
        raise ValueError(f"view {view['id']} has no input named {sorted(unknown)}")
    return state


def view_submission(user: dict[str, Any], view: dict[str, Any], trigger_id: str) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": payload_user(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(user: dict[str, Any], view: dict[str, Any], *, is_cleared: bool) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": TEAM,
        "user": payload_user(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "view": view,
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command(
    user: dict[str, Any], channel: dict[str, Any], command: str, text: str, trigger_id: str, response_url: str
) -> dict[str, str]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel["id"],
        "channel_name": channel["name"],
        "user_id": user["id"],
        "user_name": user["name"],
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def app_home_opened(
    user: dict[str, Any], dm_channel: str, view: dict[str, Any] | None, event_id: str
) -> dict[str, Any]:
    now = time.time()
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user["id"],
        "channel": dm_channel,
        "tab": "home",
        "event_ts": f"{now:.6f}",
    }
    if view is not None:
        event["view"] = view
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(now),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }
