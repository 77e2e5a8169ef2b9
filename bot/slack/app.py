"""Building the Bolt app: signature verification on, listeners registered from their modules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.deps import SlackDeps
from bot.slack.listeners import (
    account_command,
    alert_actions,
    champion_command,
    home,
    modals,
    plays_command,
    portfolio_command,
    sync_command,
)


def build_bolt_app(client: WebClient, signing_secret: str, deps: SlackDeps) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=False,  # the composition root checks the token with auth.test itself
        request_verification_enabled=True,
        process_before_response=False,
        # Bolt runs acks and lazy work (what follows each ack) here: a burst of clicks must not queue
        listener_executor=ThreadPoolExecutor(max_workers=32, thread_name_prefix="slack-listener"),
    )
    listeners = (
        alert_actions,
        modals,
        champion_command,
        portfolio_command,
        account_command,
        plays_command,
        sync_command,
        home,
    )
    for module in listeners:
        module.register(app, deps)
    return app
