"""What a request costs before its ack: no auth.test (the token is checked once, when the Bolt app is
built; a token Slack refuses stops the bot at start), no store access and none of the listener's work,
which waits in the after-ack queue for every kind of listener."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.settings import ConfigError, load_settings
from bot.slack.after_ack import QueuedLazyRunner
from bot.wiring import bootstrap
from messages.actions import AlertAction, AlertVerb
from sandbox.running import settings_values
from sandbox.slack import start_slack
from store.models import Alert, AlertEvent
from store.uow import unit_of_work
from tests.integration.conftest import Stack, posted_alerts, wait_for


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


def test_every_listener_answers_before_its_work_which_waits_in_the_after_ack_queue(stack: Stack) -> None:
    modal_alert, clicked = posted_alerts(stack, 2)
    owner = modal_alert.owner_slack_id
    fp = AlertAction(AlertVerb.FALSE_POSITIVE, modal_alert.id).encode()
    stack.slack.click(owner, modal_alert.channel_id, modal_alert.message_ts, fp)
    modal = wait_for(lambda: stack.slack.open_modal(owner))
    assert stack.container.bolt is not None
    stalled = QueuedLazyRunner(logging.getLogger(__name__), workers=0)  # keeps every job queued
    stack.container.bolt.listener_runner.lazy_listener_runner = stalled
    events_before = _event_count(stack)

    claim = AlertAction(AlertVerb.CLAIM, clicked.id).encode()
    deliveries = [
        stack.slack.click(clicked.owner_slack_id, clicked.channel_id, clicked.message_ts, claim),
        *(stack.slack.slash("UADMIN", c, t, channel="CCSALERTS") for c, t in _COMMANDS),
        stack.slack.open_home("UCSM000"),
        stack.slack.submit_view(owner, modal["id"], {"fp_reason": "   "}),  # blank: errors in the ack
    ]
    assert [d.status for d in deliveries] == [200] * len(deliveries)
    assert '"errors"' in deliveries[-1].response_body
    valid = stack.slack.submit_view(owner, modal["id"], {"fp_reason": "Seasonal dip"})
    assert valid.status == 200 and stack.slack.open_modal(owner) is None  # the ack closed the modal

    assert stalled.pending() == len(deliveries) + 1
    assert _event_count(stack) == events_before  # no listener's work ran before its answer
    assert {_state(stack, modal_alert.id), _state(stack, clicked.id)} == {"firing"}
    assert stack.slack.home_view("UCSM000") is None and not stack.slack.actor.response_posts


_COMMANDS = (("/portfolio", "all"), ("/plays", ""), ("/sync", ""), ("/account", "a"), ("/champion", "a"))


def _event_count(stack: Stack) -> int:
    with unit_of_work(stack.engine) as session:
        return session.scalar(select(func.count()).select_from(AlertEvent)) or 0


def _state(stack: Stack, alert_id: str) -> str:
    with unit_of_work(stack.engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.state
