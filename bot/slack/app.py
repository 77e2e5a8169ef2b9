"""Building the Bolt app: signature verification on, listeners registered from their modules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
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
        # Bolt runs every listener's ack here; the work after an ack (lazy listeners) gets its own pool
        # below, so a burst of clicks never waits behind earlier clicks' CRM and Slack calls.
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="slack-ack"),
    )
    app.listener_runner.lazy_listener_runner = ThreadLazyListenerRunner(
        logger=app.logger, executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-work")
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
