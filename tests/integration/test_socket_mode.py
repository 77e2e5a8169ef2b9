"""Socket Mode (`SLACK_MODE=socket`), started the way `retainer serve` starts it: Bolt's Socket Mode
handler opens a connection with the app-level token, and clicks, modal submissions, slash commands and
App Home events arrive as envelopes over that WebSocket, acknowledged on it. The HTTP server still
answers /healthz and the ingest endpoint, but no longer takes Slack events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select

from bot.ingest.load import ingest_text
from bot.runner import Running, start
from bot.settings import ConfigError, load_settings
from bot.wiring import bootstrap
from messages.actions import AlertAction, AlertVerb
from sandbox.feeds import usage_ndjson
from sandbox.httpbase import Clock
from sandbox.portfolio import csm_count_for, generate
from sandbox.running import settings_values, this_monday
from sandbox.salesforce import start_salesforce
from sandbox.slack import start_slack
from store.models import Alert
from store.uow import unit_of_work
from tests.integration.conftest import ACCOUNTS, Stack, wait_for
from tests.integration.replies import ask, blocks_text


@pytest.fixture
def socket_stack(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[tuple[Stack, Running]]:
    clock = Clock()
    accounts = list(generate(ACCOUNTS, seed=11, as_of=this_monday()))
    sf = start_salesforce(accounts, state_dir=tmp_path / "sf", clock=clock)
    slack = start_slack(state_dir=tmp_path / "slack", clock=clock, csm_count=csm_count_for(ACCOUNTS))
    socket = slack.use_socket_mode()
    settings = load_settings(
        database_url=db_url,
        **settings_values(salesforce=sf.info(), slack=slack.info()),
        slack_mode="socket",
        ingest_token="ingest-secret-for-tests",
        manager_slack_ids="UMANAGER",
        admin_slack_ids="UADMIN",
        default_alert_channel="CCSALERTS",
        slack_digest_threshold=50,
    )
    container = bootstrap(settings, clock=clock)
    container.scheduler = None  # the jobs are run by hand below
    running = start(container, port=0)
    try:
        assert socket.connected.wait(10), "the bot never opened its Socket Mode connection"
        container.sync_all(full=True)
        assert ingest_text(engine, "usage", usage_ndjson(accounts), "ndjson").loaded > 0
        yield Stack(container, slack, sf, running.http.url, engine), running
    finally:
        running.stop()
        slack.stop()
        sf.stop()


def test_clicks_modals_commands_and_home_travel_over_the_socket(socket_stack: tuple[Stack, Running]) -> None:
    stack, running = socket_stack
    assert running.events_url is None
    stack.container.check_and_publish()
    with unit_of_work(stack.engine) as session:
        alert = session.scalars(
            select(Alert).where(Alert.message_ts.is_not(None), Alert.owner_slack_id.like("UCSM%"))
        ).first()
        assert alert is not None and alert.owner_slack_id is not None

    owner = alert.owner_slack_id
    fp = AlertAction(AlertVerb.FALSE_POSITIVE, alert.id).encode()
    assert stack.slack.click(owner, alert.channel_id, alert.message_ts, fp).status == 200
    modal = wait_for(lambda: stack.slack.open_modal(owner))
    blank = stack.slack.submit_view(owner, modal["id"], {"fp_reason": "   "})
    assert blank.status == 200 and '"errors"' in blank.response_body  # the ack's payload, over the socket
    assert stack.slack.open_modal(owner) is not None

    claim = AlertAction(AlertVerb.CLAIM, alert.id).encode()
    assert stack.slack.click(owner, alert.channel_id, alert.message_ts, claim).status == 200

    def state() -> str:
        with unit_of_work(stack.engine) as session:
            found = session.get(Alert, alert.id)
            return found.state if found else ""

    wait_for(lambda: state() == "claimed")
    channel, ts = alert.channel_id, alert.message_ts
    wait_for(lambda: any(m["ts"] == ts and "Claimed" in str(m) for m in stack.slack.messages(channel)))

    answer = ask(stack.slack, "UMANAGER", "/portfolio", "team")
    assert "Portfolio · team" in blocks_text(answer)

    assert stack.slack.open_home("UCSM000").status == 200
    wait_for(lambda: stack.slack.home_view("UCSM000"))
    assert all(d.url == "socket" for d in stack.slack.deliveries())


def test_http_still_serves_health_and_ingest_but_not_slack(socket_stack: tuple[Stack, Running]) -> None:
    stack, _running = socket_stack
    with requests.Session() as http:
        http.trust_env = False
        assert http.get(f"{stack.bot_url}/healthz", timeout=5).status_code == 200
        assert http.post(f"{stack.bot_url}/slack/events", data=b"{}", timeout=5).status_code == 404
        refused = http.post(f"{stack.bot_url}/ingest/usage", data=b"", timeout=5)
        assert refused.status_code == 401  # the endpoint is there, and wants its token


def test_apps_connections_open_takes_only_the_app_level_token(tmp_path: Path, db_url: str) -> None:
    slack = start_slack(state_dir=tmp_path / "slack", csm_count=1)
    try:
        info = slack.info()
        bot = WebClient(token=info["bot_token"], base_url=info["base_url"])
        with pytest.raises(SlackApiError, match="not_allowed_token_type"):
            bot.apps_connections_open(app_token=info["bot_token"])
        app = WebClient(base_url=info["base_url"])
        with pytest.raises(SlackApiError, match="socket_mode_not_enabled"):
            app.apps_connections_open(app_token=info["app_token"])
        slack.use_socket_mode()
        url = app.apps_connections_open(app_token=info["app_token"])["url"]
        assert url.startswith("ws://127.0.0.1:")

        settings = load_settings(
            database_url=db_url, **{**settings_values(slack=info), "slack_app_token": ""}, slack_mode="socket"
        )
        with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
            start(bootstrap(settings), port=0)
    finally:
        slack.stop()
