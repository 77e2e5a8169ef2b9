"""Escalation notices and step reminders: each is sent once Slack accepted it, retried when Slack refused,
skipped when the alert moved on, and a flood for one person becomes one notice digest that leaves the
alerts' own messages alone. Runs with the product's default digest threshold (5)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError

from bot.posting import Outgoing, PostQueue
from bot.services.check import run_sweep
from bot.slack.crm_links import CrmLinks
from bot.slack.delivery_policy import DIGEST_SENT
from bot.slack.publisher import AlertPublisher, Rendering
from plays.catalog import Catalog, load_catalog
from plays.clock import FakeClock
from plays.segments import load_segment_config
from sandbox.httpbase import Fault
from sandbox.slack import start_slack
from store.keys import account_key
from store.models import Account, Alert, AlertEvent, SlackUser
from store.uow import unit_of_work
from tests.integration.conftest import wait_for

OWNER, MANAGER = "UCSM001", "UMANAGER"


@dataclass
class Office:
    engine: Engine
    clock: FakeClock
    catalog: Catalog
    client: WebClient
    slack: Any

    def publisher(self) -> AlertPublisher:
        """A publisher as the bot builds one at start (so a second one is a restarted bot)."""
        rendering = Rendering(self.catalog, load_segment_config(), CrmLinks())
        return AlertPublisher(self.engine, self.client, rendering, clock=self.clock, min_interval=0.0)

    def posted_alerts(self, count: int, *, claimed: bool = False, fired_ago: timedelta) -> list[str]:
        """`count` alerts whose messages are already in Slack, unclaimed past their SLA (or claimed)."""
        now = self.clock.now()
        ids = []
        with unit_of_work(self.engine) as session:
            for i in range(count):
                alert = Alert(
                    fingerprint=f"usage_decline:{i}:{fired_ago}",
                    play_id="usage_decline",
                    account_id=account_key("salesforce", f"001{i}"),
                    reason="weekly active users down",
                    state="claimed" if claimed else "firing",
                    owner_slack_id=OWNER,
                    channel_id="CCSM001",
                    message_ts=f"1700000000.00{i:02d}",
                    fired_at=now - fired_ago,
                    claimed_at=now - fired_ago if claimed else None,
                    due_at=now - timedelta(minutes=1),
                    details={"summary": "usage down", "digest": False},
                )
                session.add(alert)
                session.flush()
                ids.append(alert.id)
        return ids

    def dms(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages(user) if m.get("user") != "USLACKBOT"]

    def notices(self) -> dict[str | None, int]:
        with unit_of_work(self.engine) as session:
            rows = session.execute(
                select(AlertEvent.notice).where(AlertEvent.action.in_(("escalate", "step_due")))
            ).all()
        counts: dict[str | None, int] = {}
        for (notice,) in rows:
            counts[notice] = counts.get(notice, 0) + 1
        return counts

    def message_stamps(self, ids: list[str]) -> set[str | None]:
        with unit_of_work(self.engine) as session:
            return set(session.scalars(select(Alert.message_ts).where(Alert.id.in_(ids))))


@pytest.fixture
def office(engine: Engine, tmp_path: Path) -> Iterator[Office]:
    slack = start_slack(state_dir=tmp_path / "slack", csm_count=2, post_interval=0.0)
    info = slack.info()
    client = WebClient(token=info["bot_token"], base_url=info["base_url"])
    clock = FakeClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))  # a Monday
    with unit_of_work(engine) as session:
        for i in range(8):
            session.add(Account(id=account_key("salesforce", f"001{i}"), source="salesforce",
                                crm_id=f"001{i}", name=f"Account {i}", arr=Decimal(60_000)))  # fmt: skip
        session.add_all(
            [
                SlackUser(slack_user_id=OWNER, role="csm", manager_slack_id=MANAGER),
                SlackUser(slack_user_id=MANAGER, role="manager"),
            ]
        )
    try:
        yield Office(engine, clock, load_catalog(), client, slack)
    finally:
        slack.stop()


def test_a_flood_of_escalations_is_one_notice_digest_and_the_alerts_keep_their_messages(
    office: Office,
) -> None:
    ids = office.posted_alerts(7, fired_ago=timedelta(hours=2))
    stamps = office.message_stamps(ids)
    assert run_sweep(office.engine, office.catalog, office.clock) == {"escalate": 7}

    assert office.publisher().notify_escalations("CCSESCALATIONS") == 1
    (digest,) = office.dms(MANAGER)
    assert digest["text"].startswith("7 alerts unclaimed past their SLA")
    assert "Account 6" in json.dumps(digest["blocks"])
    # the alerts are still bound to their own messages in the CSM channel, not to the manager's digest
    assert office.message_stamps(ids) == stamps
    with unit_of_work(office.engine) as session:
        assert not session.scalars(select(AlertEvent).where(AlertEvent.action == DIGEST_SENT)).all()
    assert office.notices() == {"sent": 7}


def test_a_notice_slack_refused_goes_out_on_the_next_publish_once_even_after_a_restart(
    office: Office,
) -> None:
    office.posted_alerts(2, fired_ago=timedelta(hours=2))
    run_sweep(office.engine, office.catalog, office.clock)
    office.slack.server.faults.add(Fault("status", status=500, path="chat.postMessage", count=2))
    assert office.publisher().notify_escalations("CCSESCALATIONS") == 0
    assert office.notices() == {"pending": 2} and office.dms(MANAGER) == []

    office.clock.advance(minutes=5)
    restarted = office.publisher()
    assert restarted.notify_escalations("CCSESCALATIONS") == 2
    texts = [m["text"] for m in office.dms(MANAGER)]
    assert len(texts) == 2 and all(t.startswith("Unclaimed past its SLA") for t in texts)
    assert restarted.notify_escalations("CCSESCALATIONS") == 0
    assert office.publisher().notify_escalations("CCSESCALATIONS") == 0
    assert len(office.dms(MANAGER)) == 2 and office.notices() == {"sent": 2}


def test_no_notice_for_an_alert_claimed_before_it_went_out_nor_for_stale_news(office: Office) -> None:
    claimed, stale = office.posted_alerts(2, fired_ago=timedelta(hours=2))
    run_sweep(office.engine, office.catalog, office.clock)
    with unit_of_work(office.engine) as session:
        session.execute(update(Alert).where(Alert.id == claimed).values(state="claimed"))
        session.execute(
            update(AlertEvent)
            .where(AlertEvent.alert_id == stale, AlertEvent.action == "escalate")
            .values(at=office.clock.now() - timedelta(days=2))
        )
    assert office.publisher().notify_escalations("CCSESCALATIONS") == 0
    assert office.dms(MANAGER) == [] and office.notices() == {"skipped": 2}


def test_a_flood_of_due_steps_is_one_reminder_digest_for_the_owner(office: Office) -> None:
    assert office.catalog["usage_decline"].steps[1:], "usage decline has a follow-up step"
    ids = office.posted_alerts(6, claimed=True, fired_ago=timedelta(days=10))
    stamps = office.message_stamps(ids)
    assert run_sweep(office.engine, office.catalog, office.clock) == {"step_due": 6}

    publisher = office.publisher()
    assert publisher.notify_steps() == 1
    (digest,) = office.dms(OWNER)
    assert digest["text"].startswith("6 follow-up steps due")
    assert office.message_stamps(ids) == stamps and office.notices() == {"sent": 6}
    assert publisher.notify_steps() == 0 and len(office.dms(OWNER)) == 1


def test_a_few_due_steps_are_reminded_one_by_one_with_the_alerts_buttons(office: Office) -> None:
    office.posted_alerts(2, claimed=True, fired_ago=timedelta(days=10))
    run_sweep(office.engine, office.catalog, office.clock)
    assert office.publisher().notify_steps() == 2
    reminders = office.dms(OWNER)
    assert all(m["text"].startswith("Next step due, ") for m in reminders)
    assert all("actions" in json.dumps(m["blocks"]) for m in reminders)


def test_the_post_queue_never_mixes_kinds_in_one_digest(office: Office) -> None:
    built: list[tuple[str, int]] = []

    def digest(channel: str, messages: Sequence[Outgoing]) -> Outgoing:
        assert len({m.kind for m in messages}) == 1
        built.append((messages[0].kind, len(messages)))
        return Outgoing(channel, f"{len(messages)} {messages[0].kind}", [], key="digest")

    queue = PostQueue(office.client, digest_builder=digest, digest_threshold=5, min_interval=0.0)
    for i in range(6):
        queue.submit(Outgoing("CCSM001", f"alert {i}", [], key=f"a{i}"))
    for i in range(2):
        queue.submit(Outgoing("CCSM001", f"step {i}", [], key=f"s{i}", kind="step"))
    report = queue.flush()
    assert built == [("alert", 6)] and report.posted == 3 and report.digested == 6
    assert [m["text"] for m in office.dms("CCSM001")] == ["6 alert", "step 0", "step 1"]


def test_a_post_slack_accepted_but_the_store_could_not_record_does_not_stop_the_queue(
    office: Office,
) -> None:
    """Recording is retried (the store may be busy for a moment); if it keeps failing, that message is
    reported and every other message is still posted."""
    recorded: list[str] = []
    busy = {"flaky": 1, "broken": 99}

    def record(key: str) -> Callable[[str, str], None]:
        def on_posted(_channel: str, ts: str) -> None:
            if busy[key] > 0:
                busy[key] -= 1
                raise OperationalError("UPDATE alerts", {}, Exception("database is locked"))
            recorded.append(key)

        return on_posted

    naps: list[float] = []
    queue = PostQueue(office.client, digest_builder=lambda c, m: m[0], min_interval=0.0, sleep=naps.append)
    queue.submit(Outgoing("CCSM001", "flaky", [], record("flaky"), key="flaky"))
    queue.submit(Outgoing("CCSM001", "broken", [], record("broken"), key="broken"))
    queue.submit(Outgoing("CCSM000", "other channel", [], key="other"))
    report = queue.flush()
    assert report.posted == 3 and recorded == ["flaky"]
    assert [key for key, _ in report.failed] == ["broken"] and "not recorded" in report.failed[0][1]
    assert len(naps) == 1 + 2  # one retry for the flaky record, two for the broken one


def test_an_action_does_not_queue_behind_a_long_publishing_pass(office: Office) -> None:
    """A publishing pass paces a channel at one message a second; a Slack action that then wants to
    post what it fired gives up after a moment (the pass, or the next one, posts it) instead of holding
    a worker, and with it the clicks queued behind."""
    rendering = Rendering(office.catalog, load_segment_config(), CrmLinks())
    paced = AlertPublisher(office.engine, office.client, rendering, clock=office.clock, min_interval=1.0)
    office.posted_alerts(3, fired_ago=timedelta(hours=1))
    with unit_of_work(office.engine) as session:  # not posted yet, all for one channel
        session.execute(update(Alert).values(message_ts=None))
    long_pass = threading.Thread(target=paced.publish_pending)
    long_pass.start()
    wait_for(lambda: office.slack.messages("CCSM001"))  # the pass is under way, pacing the rest
    started = time.monotonic()
    assert paced.publish_soon(wait=0.2) is None
    assert time.monotonic() - started < 1.0
    long_pass.join(10)
    assert len(office.slack.messages("CCSM001")) == 3
    assert paced.publish_soon(wait=0.2) is not None  # free again: it runs
