"""The ``/_sandbox/`` control endpoints the web page (and scripts) use: the page's state, acting as a user,
the delivery record, and the panels the composition fills (CRM activity, time travel).

    GET  /_sandbox/ui/state?user=U&channel=C   workspace, channel messages, open modal, App Home, version
    POST /_sandbox/act/click    {user, channel, ts, action_id, value?, selected?} or {user, view_id, ...}
    POST /_sandbox/act/submit   {user, view_id, values}
    POST /_sandbox/act/close    {user, view_id}
    POST /_sandbox/act/slash    {user, command, text, channel}
    POST /_sandbox/act/home     {user}
    POST /_sandbox/act/replay   {delivery_id}
    GET  /_sandbox/deliveries   the signed deliveries with the bot's status and latency
    GET  /_sandbox/responses    what the bot posted to response_urls
    POST /_sandbox/bot_url      {url}
    GET  /_sandbox/ui/crm       the registered CRM-activity callable's answer
    POST /_sandbox/ui/time_travel   the registered time-travel callable (default: clock + 7 days)

Every ``act/*`` body also takes ``forge_signature`` and ``timestamp_skew`` (see `delivery.Tamper`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sandbox.httpbase import Request, Response
from sandbox.slack.delivery import Delivery, Tamper
from sandbox.slack.methods_views import stacks

if TYPE_CHECKING:
    from sandbox.slack.server import SlackSandbox

Hook = Callable[[Request], Response]
MESSAGES_SHOWN = 200  # the page shows a channel's latest messages


def _body(request: Request) -> dict[str, Any]:
    body = request.json() if request.body else {}
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _tamper(body: dict[str, Any]) -> Tamper:
    return Tamper(bool(body.get("forge_signature")), float(body.get("timestamp_skew") or 0))


def _act(fn: Callable[[dict[str, Any]], Delivery | None]) -> Hook:
    def hook(request: Request) -> Response:
        if request.method != "POST":
            return Response(405, {"error": "POST only"})
        try:
            delivery = fn(_body(request))
        except (ValueError, KeyError, RuntimeError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(200, delivery.as_dict() if delivery else {"ok": True})

    return hook


def visible_messages(
    sandbox: SlackSandbox, channel_id: str, user_id: str, limit: int
) -> list[dict[str, Any]]:
    """The channel's last `limit` messages `user_id` can see (ephemeral ones only their own)."""
    seen = [m for m in sandbox.workspace.messages(channel_id) if m.get("ephemeral_for") in (None, user_id)]
    return seen[-limit:]


def ui_state(sandbox: SlackSandbox, request: Request) -> Response:
    ws = sandbox.workspace
    user_id = request.arg("user") or "UMANAGER"
    with ws.lock:
        me = ws.users.get(user_id)
        if me is None:
            return Response(404, {"error": f"no user {user_id}"})
        channels = [
            {
                "id": c["id"],
                "name": "retainer" if c.get("is_im") else c["name"],
                "is_im": c.get("is_im", False),
            }
            for c in ws.channels.values()
            if user_id in c["members"]
        ]
        visible = {c["id"] for c in channels}
        wanted = request.arg("channel") or ""
        channel_id = wanted if wanted in visible else (channels[0]["id"] if channels else "")
        stack = stacks(sandbox.api).get(user_id) or []
        modal = ws.views.get(stack[-1]) if stack else None
        return Response(
            200,
            {
                "version": ws.version,
                "me": me,
                "users": [
                    {"id": u["id"], "name": u["name"], "real_name": u["real_name"], "is_bot": u["is_bot"]}
                    for u in ws.users.values()
                ],
                "channels": channels,
                "channel": channel_id,
                "messages": visible_messages(sandbox, channel_id, user_id, MESSAGES_SHOWN)
                if channel_id
                else [],
                "modal": modal,
                "modal_errors": ws.data.get("view_errors", {}).get(modal["id"], {}) if modal else {},
                "home": ws.data["home"].get(user_id),
                "now": sandbox.server.clock.now().isoformat(),
                "panels": {"crm": sandbox.crm_activity is not None, "bot": bool(sandbox.actor.bot_url)},
            },
        )


def hooks(sandbox: SlackSandbox) -> dict[str, Hook]:
    actor = sandbox.actor

    def click(b: dict[str, Any]) -> Delivery:
        selected, tamper = b.get("selected"), _tamper(b)
        if b.get("view_id"):
            return actor.click_view(b["user"], b["view_id"], b["action_id"], b.get("value"), selected, tamper)
        return actor.click(b["user"], b["channel"], b["ts"], b["action_id"], b.get("value"), selected, tamper)

    def replay(b: dict[str, Any]) -> Delivery:
        found = [d for d in actor.transport.records() if d.id == int(b["delivery_id"])]
        if not found:
            raise ValueError(f"no delivery {b['delivery_id']}")
        return actor.replay(found[0])

    def set_bot_url(b: dict[str, Any]) -> None:
        sandbox.set_bot_url(str(b["url"]))

    def crm(request: Request) -> Response:
        fn = sandbox.crm_activity
        return Response(200, fn() if fn is not None else {})

    def time_travel(request: Request) -> Response:
        if request.method != "POST":
            return Response(405, {"error": "POST only"})
        fn = sandbox.time_travel
        if fn is None:
            sandbox.server.clock.advance(timedelta(days=7))
            result: Any = {"advanced_days": 7}
        else:
            result = fn()
        return Response(200, {"now": sandbox.server.clock.now().isoformat(), "result": result})

    return {
        "ui/state": lambda r: ui_state(sandbox, r),
        "ui/crm": crm,
        "ui/time_travel": time_travel,
        "act/click": _act(click),
        "act/submit": _act(
            lambda b: actor.submit_view(b["user"], b["view_id"], b.get("values") or {}, _tamper(b))
        ),
        "act/close": _act(lambda b: actor.close_view(b["user"], b["view_id"], _tamper(b))),
        "act/slash": _act(
            lambda b: actor.slash(
                b["user"], b["command"], b.get("text", ""), b.get("channel") or "cs-alerts", _tamper(b)
            )
        ),
        "act/home": _act(lambda b: actor.open_home(b["user"], _tamper(b))),
        "act/replay": _act(replay),
        "bot_url": _act(set_bot_url),
        "deliveries": lambda r: Response(200, [d.as_dict() for d in actor.transport.records()]),
        "responses": lambda r: Response(200, list(actor.response_posts)),
    }
