"""A timing experiment through the check pass, on SQLite and PostgreSQL: arms are stored once per
(play, account), holdout accounts get no alert, and a delayed arm's alert stays out of the CSM's App Home
until it is due."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from bot.permissions import Role
from bot.services.check import run_check
from bot.services.home import home_data
from plays.catalog import Arm, Catalog, Experiment, load_catalog
from plays.clock import Duration, FakeClock, add_business_days
from plays.experiments import arm_for
from sandbox.portfolio import generate
from sandbox.store_loader import load_portfolio
from store.models import Alert, ExperimentArm
from store.uow import unit_of_work

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
EXPERIMENT = Experiment((Arm("immediate"), Arm("delayed_3d", delay=Duration(business_days=3))), holdout=0.25)


def _catalog() -> Catalog:
    return Catalog({p.id: dataclasses.replace(p, experiment=EXPERIMENT) for p in load_catalog()})


def _state(engine: Engine) -> tuple[dict[tuple[str, str], str], list[Alert]]:
    with unit_of_work(engine) as session:
        arms = {(e.experiment_id, e.account_id): e.arm for e in session.scalars(select(ExperimentArm))}
        return arms, list(session.scalars(select(Alert)))


def test_the_check_assigns_arms_holds_out_and_delays(engine: Engine) -> None:
    load_portfolio(engine, generate(60, seed=7))
    clock = FakeClock(START)
    summary = run_check(engine, _catalog(), clock)
    arms, alerts = _state(engine)

    assert alerts and summary.suppressed.get("holdout", 0) >= sum(a == "holdout" for a in arms.values()) > 0
    for (play_id, account_id), arm in arms.items():
        chosen = arm_for(EXPERIMENT, play_id, account_id)
        assert arm == (chosen.name if chosen else "holdout")
    assert {(a.play_id, a.account_id) for a in alerts} <= set(arms)
    for alert in alerts:
        arm = arms[(alert.play_id, alert.account_id)]
        assert arm != "holdout" and alert.details["arm"] == arm
        assert alert.deliver_at == (add_business_days(START, 3) if arm == "delayed_3d" else None)
    assert {arms[(a.play_id, a.account_id)] for a in alerts} == {"immediate", "delayed_3d"}

    clock.advance(hours=1)
    again = run_check(engine, _catalog(), clock)
    assert again.fired == 0
    assert _state(engine)[0] == arms  # an account keeps its arm; nothing recorded twice


def test_a_delayed_alert_stays_out_of_app_home_until_it_is_due(engine: Engine) -> None:
    load_portfolio(engine, generate(60, seed=7))
    run_check(engine, _catalog(), FakeClock(START))
    _arms, alerts = _state(engine)
    delayed = next(a for a in alerts if a.deliver_at is not None)
    owner = "UCSM001"
    with unit_of_work(engine) as session:
        session.get(Alert, delayed.id).owner_slack_id = owner  # type: ignore[union-attr]

    def listed(now: datetime) -> bool:
        with unit_of_work(engine) as session:
            return delayed.id in home_data(session, owner, Role.CSM, now).open_alert_ids

    assert not listed(START + timedelta(hours=1))
    assert listed(delayed.deliver_at + timedelta(minutes=1))  # type: ignore[operator]
