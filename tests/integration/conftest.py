"""The whole bot against the sandboxes: Salesforce (HTTPS) + Slack, real SDKs, real HTTP, one store."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, select

from bot.http_server import BotHttpServer, make_router
from bot.ingest.load import ingest_text
from bot.permissions import RoleConfig
from bot.services.directory import import_slack_users
from bot.settings import load_settings
from bot.wiring import Container, bootstrap
from sandbox.feeds import nps_ndjson, usage_ndjson
from sandbox.httpbase import Clock
from sandbox.portfolio import csm_count_for, generate
from sandbox.running import settings_values, this_monday
from sandbox.salesforce import start_salesforce
from sandbox.slack import SlackSandbox, start_slack
from store.models import Alert
from store.uow import unit_of_work

ACCOUNTS = 24


@dataclass
class Stack:
    container: Container
    slack: Any
    salesforce: Any
    bot_url: str
    engine: Engine


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def redeliver(stack: Stack, body: bytes) -> int:
    """Deliver `body` again with a fresh timestamp and a valid signature: what a Slack retry looks like."""
    secret = stack.container.settings.secret("slack_signing_secret").encode()
    ts = str(int(time.time()) + 1)  # a later second than the original delivery: a new signature
    signature = "v0=" + hmac.new(secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    response = requests.post(
        f"{stack.bot_url}/slack/events",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        },
        timeout=10,
    )
    return response.status_code


@contextmanager
def serving(container: Container, slack: SlackSandbox) -> Iterator[str]:
    """The bot's HTTP endpoint, with the Slack sandbox delivering to it; yields its URL. On the way out
    the server, the work after acks, the Slack sandbox and the engine stop, whatever happened inside."""
    assert container.bolt is not None
    secret = container.settings.secret("slack_signing_secret")
    server = BotHttpServer(
        make_router(SlackRequestHandler(container.bolt), signing_secret=secret), gate=container.request_gate
    ).start()
    slack.set_bot_url(f"{server.url}/slack/events")
    try:
        yield server.url
    finally:
        server.stop()
        if container.after_ack is not None:
            container.after_ack.stop()
        slack.stop()
        container.engine.dispose()


@pytest.fixture
def stack(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Stack]:
    clock = Clock()
    accounts = list(generate(ACCOUNTS, seed=11, as_of=this_monday()))
    sf = start_salesforce(accounts, state_dir=tmp_path / "sf", clock=clock)
    slack = start_slack(state_dir=tmp_path / "slack", clock=clock, csm_count=csm_count_for(ACCOUNTS))
    info_sf, info_slack = sf.info(), slack.info()
    settings = load_settings(
        database_url=db_url,
        **settings_values(salesforce=info_sf, slack=info_slack),
        manager_slack_ids="UMANAGER",
        admin_slack_ids="UADMIN",
        default_alert_channel="CCSALERTS",
        escalation_channel="CCSESCALATIONS",
        slack_digest_threshold=50,
    )
    container = bootstrap(settings, clock=clock)
    assert container.bolt is not None and container.slack is not None
    try:
        with serving(container, slack) as url:
            csms = csm_count_for(ACCOUNTS)
            import_slack_users(
                engine,
                container.slack,
                RoleConfig.from_csv("UADMIN", "UMANAGER"),
                home_channels={f"csm{i:03d}@retainer.example": f"CCSM{i:03d}" for i in range(csms)},
                default_manager="UMANAGER",
            )
            container.sync_all(full=True)
            assert ingest_text(engine, "usage", usage_ndjson(accounts), "ndjson").loaded > 0
            ingest_text(engine, "nps", nps_ndjson(accounts), "ndjson")
            yield Stack(container, slack, sf, url, engine)
    finally:
        sf.stop()


@pytest.fixture
def empty_stack(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Stack]:
    """A new install: the Slack sandbox and the bot, Slack users imported, no CRM and no data."""
    clock = Clock()
    slack = start_slack(state_dir=tmp_path / "slack", clock=clock, csm_count=2)
    info = slack.info()
    settings = load_settings(
        database_url=db_url,
        **settings_values(slack=info),
        manager_slack_ids="UMANAGER",
        admin_slack_ids="UADMIN",
        default_alert_channel="CCSALERTS",
    )
    container = bootstrap(settings, clock=clock)
    assert container.bolt is not None and container.slack is not None
    with serving(container, slack) as url:
        import_slack_users(engine, container.slack, RoleConfig.from_csv("UADMIN", "UMANAGER"))
        yield Stack(container, slack, None, url, engine)


def posted_alerts(stack: Stack, count: int) -> list[Alert]:
    """Run a check and a publish now; the first `count` alerts posted to CSM channels, by id."""
    stack.container.check()
    stack.container.publish()
    with unit_of_work(stack.engine) as session:
        alerts = session.scalars(
            select(Alert)
            .where(Alert.message_ts.is_not(None), Alert.channel_id.like("CCSM%"))
            .order_by(Alert.id)
            .limit(count)
        ).all()
    assert len(alerts) == count
    return list(alerts)
