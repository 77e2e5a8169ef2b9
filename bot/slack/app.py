"""Building the Bolt app: signature verification on, listeners registered from their modules."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.deps import SlackDeps
from bot.slack.listeners import alert_actions, champion_command, modals


def build_bolt_app(client: WebClient, signing_secret: str, deps: SlackDeps) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=False,  # the composition root checks the token with auth.test itself
        request_verification_enabled=True,
        process_before_response=False,
    )
    for module in (alert_actions, modals, champion_command):
        module.register(app, deps)
    return app
