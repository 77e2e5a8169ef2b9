"""App Home per role through `app_home_opened`, the delivery-mode selector, and digest delivery with a
fake clock: active hours in the owner's timezone, hourly and daily slots, grouping, nothing lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func, select, update

from bot.slack.crm_links import CrmLinks
from bot.slack.delivery_policy import DIGEST_SENT
from bot.slack.publisher import AlertPublisher, Rendering
from messages.actions import AlertAction, AlertVerb
from plays.catalog import load_catalog
from plays.clock import FakeClock
from plays.segments import load_segment_config
from sandbox.httpbase import Fault
from sandbox.slack import start_slack
from store.keys import account_key
from store.models import Account, Alert, AlertEvent, SlackUser
from store.uow import unit_of_work
from tests.integration.conftest import Stack, wait_for

# -- App Home ---------------------------------------------------------------------------------------------


def _home(stack: Stack, user: str) -> dict[str, Any]:
    before = stack.slack.home_view(user)
    assert stack.slack.open_home(user).status == 200
    return wait_for(lambda: (v := stack.slack.home_view(user)) is not None and v != before and v)  # type: ignore[no-any-return]


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def _open_alerts(stack: Stack, user: str) -> int:
    with unit_of_work(stack.engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Alert)
                .where(Alert.owner_slack_id == user, Alert.state.in_(("firing", "claimed")))
            )
            or 0
        )


def test_home_per_role_within_slack_limits(stack: Stack) -> None:
    stack.container.check()
    with unit_of_work(stack.engine) as session:
        owner = session.scalar(select(Alert.owner_slack_id).where(Alert.owner_slack_id.like("UCSM%")))
    assert owner
    csm = _home(stack, owner)
    assert len(csm["blocks"]) <= 100
    assert f"Your open alerts ({_open_alerts(stack, owner)})" in _text(csm)
    assert "Team SLA breaches" not in _text(csm) and "Sync health" not in _text(csm)

    stack.container.clock.advance(timedelta(days=10))  # every unclaimed alert is now past its SLA
    manager = _home(stack, "UMANAGER")
    assert "Team SLA breaches" in _text(manager) and "No SLA breaches" not in _text(manager)
    assert f"<@{owner}>" in _text(manager)
    admin = _home(stack, "UADMIN")
    assert "Sync health" in _text(admin) and "salesforce Account: ok" in _text(admin)


def test_home_of_a_new_install(empty_stack: Stack) -> None:
    for user in ("UCSM000", "UMANAGER", "UADMIN"):
        view = _home(empty_stack, user)
        assert "Your open alerts (0)" in _text(view) and "No accounts yet" in _text(view)
    assert "No SLA breaches" in _text(view) and "No sync has run yet" in _text(view)


def test_home_cuts_long_lists_to_fit_100_blocks(stack: Stack) -> None:
    stack.container.check()
    with unit_of_work(stack.engine) as session:
        accounts = list(session.scalars(select(Account.id)))
        session.add_all(
            Alert(
                fingerprint=f"load-{i}",
                play_id="usage_decline",
                account_id=accounts[i % len(accounts)],
                reason=f"load {i}",
                owner_slack_id="UCSM000",
                channel_id="CCSM000",
                due_at=datetime.now(UTC) - timedelta(hours=1),
            )
            for i in range(150)
        )
    open_count = _open_alerts(stack, "UCSM000")
    view = _home(stack, "UCSM000")
    assert len(view["blocks"]) <= 100
    assert f"Your open alerts ({open_count})" in _text(view)
    assert "more open alerts" in _text(view)
    manager = _home(stack, "UMANAGER")
    assert len(manager["blocks"]) <= 100 and "Team SLA breaches" in _text(manager)


def test_digest_mode_selector_saves_and_republishes(stack: Stack) -> None:
    view = _home(stack, "UCSM001")
    assert "Real time" in json.dumps(view["blocks"][1]["accessory"]["initial_option"])
    delivery = stack.slack.click_view("UCSM001", view["id"], "home.digest_mode", value="daily")
    assert delivery.status == 200
    wait_for(lambda: _mode(stack, "UCSM001") == "daily")
    republished = wait_for(
        lambda: "Daily digest" in json.dumps(stack.slack.home_view("UCSM001")["blocks"][1]["accessory"])
    )
    assert republished


def _mode(stack: Stack, user: str) -> str:
    with unit_of_work(stack.engine) as session:
        return session.get(SlackUser, user).digest_mode


def test_claiming_from_app_home_shows_the_claim_there_at_once(stack: Stack) -> None:
    """A click in App Home changes the alert; the Home tab is published again with its new state (a
    Log outcome button instead of Claim), not left stale until the tab is reopened."""
    stack.container.check()
    with unit_of_work(stack.engine) as session:
        alert = session.scalars(
            select(Alert)
            .where(Alert.owner_slack_id.like("UCSM%"), Alert.state == "firing")
            .order_by(Alert.id)
        ).first()
        assert alert is not None and alert.owner_slack_id is not None
        owner, alert_id = alert.owner_slack_id, alert.id
    home = _home(stack, owner)
    claim = AlertAction(AlertVerb.CLAIM, alert_id).encode()
    assert claim in _text(home)
    assert stack.slack.click_view(owner, home["id"], claim).status == 200
    after = wait_for(lambda: (v := stack.slack.home_view(owner)) != home and v)
    assert claim not in _text(after)
    assert AlertAction(AlertVerb.LOG_OUTCOME, alert_id).encode() in _text(after)


# -- digests with a fake clock ----------------------------------------------------------------------------


@dataclass
class Desk:
    engine: Engine
    clock: FakeClock
    publisher: AlertPublisher
    slack: Any
    accounts: list[str]

    def fire(
        self, owner: str, play: str, account: int, reason: str = "dropped", deliver_at: datetime | None = None
    ) -> str:
        with unit_of_work(self.engine) as session:
            alert = Alert(
                fingerprint=f"{owner}:{play}:{account}:{reason}",
                play_id=play,
                account_id=self.accounts[account],
                reason=reason,
                owner_slack_id=owner,
                channel_id="CCSM000",
                fired_at=self.clock.now(),
                deliver_at=deliver_at,
            )
            session.add(alert)
            session.flush()
            return alert.id

    def posted(self) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages("CCSM000") if m.get("user") != "USLACKBOT"]

    def waiting(self) -> set[str]:
        with unit_of_work(self.engine) as session:
            return set(session.scalars(select(Alert.id).where(Alert.message_ts.is_(None))))


@pytest.fixture
def desk(engine: Engine, tmp_path: Path) -> Iterator[Desk]:
    slack = start_slack(state_dir=tmp_path / "slack", csm_count=2, post_interval=0.0)
    info = slack.info()
    client = WebClient(token=info["bot_token"], base_url=info["base_url"])
    clock = FakeClock(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))  # a Monday, 07:00 in New York
    rendering = Rendering(load_catalog(), load_segment_config(), CrmLinks())
    publisher = AlertPublisher(engine, client, rendering, clock=clock, min_interval=0.0, digest_threshold=50)
    with unit_of_work(engine) as session:
        names = ["Acme Inc", "Bluth Holdings", "Wonka Labs"]
        for i, name in enumerate(names):
            session.add(Account(id=account_key("salesforce", f"001{i}"), source="salesforce",
                                crm_id=f"001{i}", name=name, arr=Decimal(60_000)))  # fmt: skip
        session.add_all(
            [
                SlackUser(
                    slack_user_id="UCSM000",
                    role="csm",
                    digest_mode="hourly",
                    active_hours="09-18",
                    timezone="America/New_York",
                ),
                SlackUser(slack_user_id="UCSM001", role="csm", digest_mode="realtime"),
            ]
        )
    try:
        yield Desk(engine, clock, publisher, slack, [account_key("salesforce", f"001{i}") for i in range(3)])
    finally:
        slack.stop()


def test_realtime_owner_gets_each_alert_at_once(desk: Desk) -> None:
    first = desk.fire("UCSM001", "usage_decline", 0)
    second = desk.fire("UCSM001", "ticket_spike", 1)
    report = desk.publisher.publish_pending()
    assert report.posted == 2 and report.held == 0 and desk.waiting() == set()
    assert {first, second}.isdisjoint(desk.waiting())


def test_an_alert_held_back_by_a_timing_experiment_is_posted_once_due(desk: Desk) -> None:
    later = desk.clock.now() + timedelta(days=3)
    held = desk.fire("UCSM001", "usage_decline", 0, deliver_at=later)
    now = desk.fire("UCSM001", "ticket_spike", 1)
    report = desk.publisher.publish_pending()
    assert report.posted == 1 and desk.waiting() == {held}
    assert now not in desk.waiting()
    desk.clock.advance(days=3)
    assert desk.publisher.publish_pending().posted == 1 and desk.waiting() == set()
    assert len(desk.posted()) == 2


def test_hourly_digest_waits_for_active_hours_in_the_owners_timezone(desk: Desk) -> None:
    ids = [
        desk.fire("UCSM000", "usage_decline", 0),
        desk.fire("UCSM000", "usage_decline", 1),
        desk.fire("UCSM000", "renewal_risk", 2),
        desk.fire("UCSM000", "usage_decline", 0, reason="second signal"),
    ]
    report = desk.publisher.publish_pending()  # 07:00 New York: before 09-18
    assert report.posted == 0 and report.held == 4 and desk.waiting() == set(ids)

    desk.clock.advance(hours=2, minutes=5)  # 09:05 New York
    report = desk.publisher.publish_pending()
    assert report.posted == 1 and desk.waiting() == set()
    digest = desk.posted()[-1]
    text = json.dumps(digest["blocks"], ensure_ascii=False)
    assert digest["text"].startswith("4 new alerts")
    # grouped by play, then account: each play once, an account's two alerts of one play on one line
    assert "*Usage decline* – 3 alerts" in text and "*Renewal risk* – 1 alert" in text
    assert "*Acme Inc* ($60K) ×2" in text and "Bluth Holdings" in text and "Wonka Labs" in text
    with unit_of_work(desk.engine) as session:
        stamps = set(session.scalars(select(Alert.message_ts).where(Alert.id.in_(ids))))
        assert stamps == {digest["ts"]}
        assert session.scalar(select(func.count()).where(AlertEvent.action == DIGEST_SENT)) == 4

    late = desk.fire("UCSM000", "ticket_spike", 1)  # 09:05: the 09:00 slot has gone out already
    desk.clock.advance(minutes=30)
    assert desk.publisher.publish_pending().held == 1 and desk.waiting() == {late}
    desk.clock.advance(minutes=30)  # 10:05 New York: the next hourly slot
    assert desk.publisher.publish_pending().posted == 1 and desk.waiting() == set()


def test_daily_digest_goes_out_once_per_local_day(desk: Desk) -> None:
    with unit_of_work(desk.engine) as session:
        session.execute(
            update(SlackUser).where(SlackUser.slack_user_id == "UCSM000").values(digest_mode="daily")
        )
    desk.clock.advance(hours=3)  # 10:00 New York
    first = desk.fire("UCSM000", "usage_decline", 0)
    assert desk.publisher.publish_pending().posted == 1 and desk.waiting() == set()
    desk.clock.advance(hours=2)
    later = desk.fire("UCSM000", "nps_detractor", 1)
    assert desk.publisher.publish_pending().held == 1
    desk.clock.advance(hours=6)  # 18:00 New York: outside active hours
    assert desk.publisher.publish_pending().held == 1
    desk.clock.advance(hours=15)  # 09:00 New York the next day
    assert desk.publisher.publish_pending().posted == 1 and desk.waiting() == set()
    assert first != later


def test_nothing_is_lost_when_slack_fails_a_digest(desk: Desk) -> None:
    desk.clock.advance(hours=2, minutes=5)
    ids = {desk.fire("UCSM000", "usage_decline", i) for i in range(3)}
    desk.slack.server.faults.add(Fault("status", status=500, path="chat.postMessage", count=1))
    report = desk.publisher.publish_pending()
    assert report.posted == 0 and report.failed
    assert desk.waiting() == ids  # no message recorded, no digest_sent event: all still queued
    with unit_of_work(desk.engine) as session:
        assert session.scalar(select(func.count()).where(AlertEvent.action == DIGEST_SENT)) == 0
    assert desk.publisher.publish_pending().posted == 1 and desk.waiting() == set()


def test_bad_preferences_fall_back_to_real_time(desk: Desk) -> None:
    with unit_of_work(desk.engine) as session:
        session.execute(
            update(SlackUser).where(SlackUser.slack_user_id == "UCSM000").values(timezone="Mars/Olympus")
        )
    alert = desk.fire("UCSM000", "usage_decline", 0)
    assert desk.publisher.publish_pending().posted == 1 and alert not in desk.waiting()
