"""What a click costs before its ack: no auth.test per request (the token is checked once, when the Bolt
app is built), and a token Slack refuses stops the bot at start with a configuration error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import ConfigError, load_settings
from bot.wiring import bootstrap
from messages.actions import AlertAction, AlertVerb
from sandbox.running import settings_values
from sandbox.slack import start_slack
from store.models import Alert
from store.uow import unit_of_work
from tests.integration.conftest import Stack, wait_for


def test_concurrent_clicks_are_acked_without_calling_auth_test(stack: Stack) -> None:
    stack.container.check()
    stack.container.publish()
    with unit_of_work(stack.engine) as session:
        alerts = session.scalars(
            select(Alert).where(Alert.message_ts.is_not(None), Alert.channel_id.like("CCSM%")).limit(5)
        ).all()
    assert len(alerts) >= 2
    checked_at_start = stack.slack.api_calls("auth.test")

    def click(alert: Alert) -> int:
        claim = AlertAction(AlertVerb.CLAIM, alert.id).encode()
        return stack.slack.click(alert.owner_slack_id, alert.channel_id, alert.message_ts, claim).status

    with ThreadPoolExecutor(len(alerts)) as pool:
        assert list(pool.map(click, alerts)) == [200] * len(alerts)

    def all_claimed() -> bool:
        with unit_of_work(stack.engine) as session:
            return all(session.get(Alert, a.id).state == "claimed" for a in alerts)

    wait_for(all_claimed)
    assert stack.slack.api_calls("auth.test") == checked_at_start


def test_a_token_slack_refuses_is_a_configuration_error_at_start(db_url: str, tmp_path: Path) -> None:
    slack = start_slack(state_dir=tmp_path / "slack", csm_count=1)
    try:
        values = {**settings_values(slack=slack.info()), "slack_bot_token": "xoxb-not-the-token"}
        with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
            bootstrap(load_settings(database_url=db_url, **values))
    finally:
        slack.stop()
