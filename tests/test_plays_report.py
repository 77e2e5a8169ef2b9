"""`/plays report` data: fires, claim time, completion, outcomes and the A/B lift of a play."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.plays_report import plays_report
from bot.slack.surfaces import plays_model
from messages.surfaces import plays_report as render_report
from plays.catalog import load_catalog
from store.models import ExperimentArm, Outcome
from store.uow import unit_of_work
from tests.surface_data import NOW, alert, load_book


def _close(session: Session, account_id: str, play: str, result: str, fired_ago: timedelta) -> None:
    fired = NOW - fired_ago
    row = alert(account_id, play, fired, state="done", claimed_at=fired + timedelta(hours=2))
    session.add(row)
    session.flush()
    session.add(
        Outcome(
            alert_id=row.id,
            play_id=play,
            account_id=account_id,
            result=result,
            what_was_done="call",
            logged_by="UCSM000",
            logged_at=fired + timedelta(hours=3),
        )
    )


def test_report_counts_the_window_and_the_ab_lift(engine: Engine) -> None:
    accounts = [a.id for a in load_book(engine, accounts=16)]
    with unit_of_work(engine) as session:
        # variant "b": 3 of 4 saved; control "a": 1 of 4 saved
        for i, account_id in enumerate(accounts[:8]):
            arm = "a" if i < 4 else "b"
            session.add(ExperimentArm(experiment_id="usage_decline", account_id=account_id, arm=arm))
            saved = (arm == "a" and i == 0) or (arm == "b" and i != 7)
            _close(
                session,
                account_id,
                "usage_decline",
                "saved" if saved else "churn_confirmed",
                timedelta(days=3),
            )
        session.add(alert(accounts[8], "ticket_spike", NOW - timedelta(days=1)))  # open, unclaimed
        session.add(alert(accounts[9], "ticket_spike", NOW - timedelta(days=40)))  # outside 30 days
    with unit_of_work(engine) as session:
        effects = {e.stats.play_id: e for e in plays_report(session, NOW - timedelta(days=30))}
    usage, tickets = effects["usage_decline"], effects["ticket_spike"]
    assert (usage.stats.fires, usage.stats.completed, usage.stats.saved, usage.stats.churned) == (8, 8, 4, 4)
    assert usage.stats.median_claim_minutes == 120.0
    assert dict(usage.outcomes) == {"saved": 4, "churn_confirmed": 4}
    assert usage.arms == ("a", "b") and usage.lift is not None
    assert usage.lift.lift == pytest.approx(0.5) and usage.lift.low < 0.5 < usage.lift.high
    assert tickets.stats.fires == 1 and tickets.stats.completion_rate == 0 and tickets.lift is None

    text = str(render_report(plays_model(tuple(effects.values()), 30, load_catalog())).blocks)
    assert "A/B: b vs a lift +50.0 pts" in text and "claimed in 2.0 h" in text
    assert "4 vs 4 closed alerts; not significant yet" in text  # fewer than 10 closed alerts an arm


def test_no_fires_gives_an_empty_report(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert plays_report(session, NOW - timedelta(days=30)) == ()
