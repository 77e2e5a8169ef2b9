"""App Home: `app_home_opened` publishes the user's home (views.publish); the delivery-mode select saves
`slack_users.digest_mode` and publishes the home again."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services.home import DigestModeError, home_data, set_digest_mode
from bot.slack.deps import SlackDeps
from bot.slack.interaction import ack_now, tell
from bot.slack.replies import role
from bot.slack.surfaces import home_model
from messages.actions import SurfaceAction
from messages.surfaces import home_view
from store.uow import unit_of_work


def publish_home(deps: SlackDeps, client: WebClient, user_id: str) -> None:
    who = role(deps, user_id)
    with unit_of_work(deps.engine) as session:
        model = home_model(session, home_data(session, user_id, who, deps.clock.now()), deps.rendering)
    client.views_publish(user_id=user_id, view=home_view(model).as_dict())


def register(app: App, deps: SlackDeps) -> None:
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(deps, client, event["user"])

    app.event("app_home_opened")(ack=ack_now, lazy=[home_opened])

    def digest_mode(body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        mode = (body["actions"][0].get("selected_option") or {}).get("value", "")
        try:
            with unit_of_work(deps.engine) as session:
                set_digest_mode(session, user_id, mode)
        except DigestModeError as exc:
            tell(client, user_id, None, "change how alerts reach you", str(exc))
            return
        publish_home(deps, client, user_id)

    app.action(SurfaceAction.DIGEST_MODE.value)(ack=ack_now, lazy=[digest_mode])
