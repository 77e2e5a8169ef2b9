"""Building the Bolt app: signature verification on, listeners registered from their modules."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.after_ack import QueuedLazyRunner
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


def build_bolt_app(
    client: WebClient, signing_secret: str, deps: SlackDeps, after_ack: QueuedLazyRunner | None = None
) -> App:
    """The Bolt app. Its token is checked with one auth.test here, so requests never wait for one.
    `after_ack` runs the lazy listeners (the work after an ack); by default one without a `BusyGate`."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=True,
        request_verification_enabled=True,
        # Each listener's ack function runs in the request's own thread and is tiny (`ack_now`, or a form
        # check); everything else is a lazy listener run by `after_ack` once the answer is out, so a burst
        # of clicks never waits behind earlier clicks' store, CRM and Slack calls.
        process_before_response=True,
    )
    app.listener_runner.lazy_listener_runner = after_ack or QueuedLazyRunner(app.logger)
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
