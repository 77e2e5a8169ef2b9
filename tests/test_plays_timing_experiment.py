"""A play's timing experiment in the lifecycle: holdout accounts get no alert, a delayed arm's alert is
held back (its SLA and expiry count from delivery), and an account always lands in the same arm."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from plays.catalog import Arm, Catalog, Experiment, load_catalog
from plays.clock import Duration, add_business_days
from plays.experiments import arm_for
from plays.lifecycle import AlertState, plan_pass, sweep
from plays.triggers import Hit

FRIDAY = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)
EXPERIMENT = Experiment(
    (Arm("immediate"), Arm("delayed_3d", delay=Duration(business_days=3))),
    holdout=0.2,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    seed = load_catalog()
    play = dataclasses.replace(seed["usage_decline"], experiment=EXPERIMENT)
    return Catalog({**seed.plays, play.id: play})


def _account_in(arm: str | None) -> str:
    """The first of acc-0, acc-1, ... whose arm is `arm` (None: the holdout)."""
    for i in range(1000):
        found = arm_for(EXPERIMENT, "usage_decline", f"acc-{i}")
        if (found.name if found else None) == arm:
            return f"acc-{i}"
    raise AssertionError(f"no account in {arm}")


def _hit(account: str) -> Hit:
    return Hit(account, "usage_decline", "wau_mom_drop", "warning", "summary")


def _plan(catalog: Catalog, hits: list[Hit], now: datetime = FRIDAY):  # type: ignore[no-untyped-def]
    return plan_pass(hits, catalog, open_alerts={}, open_plays={}, last_resolved={}, silences={}, now=now)


def test_the_holdout_gets_no_alert_and_its_arm_is_recorded(catalog: Catalog) -> None:
    account = _account_in(None)
    plan = _plan(catalog, [_hit(account)])
    assert plan.fire == []
    assert plan.suppressed == {"holdout": 1}
    assert plan.arms == {("usage_decline", account): "holdout"}


def test_the_immediate_arm_fires_at_once(catalog: Catalog) -> None:
    account = _account_in("immediate")
    (new,) = _plan(catalog, [_hit(account)]).fire
    assert (new.arm, new.deliver_at) == ("immediate", None)
    assert new.due_at == add_business_days(FRIDAY, 2)


def test_the_delayed_arm_is_held_back_and_its_sla_counts_from_delivery(catalog: Catalog) -> None:
    account = _account_in("delayed_3d")
    plan = _plan(catalog, [_hit(account)])
    (new,) = plan.fire
    assert new.arm == "delayed_3d"
    assert new.deliver_at == datetime(2026, 11, 11, 9, 0, tzinfo=UTC)  # Friday + 3 business days
    assert new.due_at == add_business_days(new.deliver_at, 2)
    assert plan.arms == {("usage_decline", account): "delayed_3d"}


def test_an_account_keeps_its_arm_and_arms_split_by_weight(catalog: Catalog) -> None:
    accounts = [f"acc-{i}" for i in range(2000)]
    first = [arm_for(EXPERIMENT, "usage_decline", a) for a in accounts]
    again = [arm_for(EXPERIMENT, "usage_decline", a) for a in accounts]
    assert first == again
    share = {
        name: sum(1 for a in first if (a.name if a else None) == name) / 2000
        for name in ("immediate", "delayed_3d", None)
    }
    assert share[None] == pytest.approx(0.2, abs=0.03)
    assert share["immediate"] == pytest.approx(0.4, abs=0.03)
    assert share["delayed_3d"] == pytest.approx(0.4, abs=0.03)


def test_a_play_without_an_experiment_is_untouched() -> None:
    plan = _plan(load_catalog(), [_hit(_account_in(None))])
    assert len(plan.fire) == 1 and plan.arms == {} and plan.fire[0].deliver_at is None


def test_a_held_back_alert_expires_counting_from_delivery(catalog: Catalog) -> None:
    h = _hit("acc-1")
    deliver_at = FRIDAY + timedelta(days=5)
    held = AlertState(
        "a-1",
        h.fingerprint,
        h.account_id,
        h.play_id,
        "firing",
        FRIDAY,
        deliver_at=deliver_at,
        steps_reminded=2,
    )
    assert sweep([dataclasses.replace(held, escalated_at=FRIDAY)], catalog, FRIDAY + timedelta(days=21)) == []
    (t,) = sweep([dataclasses.replace(held, escalated_at=FRIDAY)], catalog, deliver_at + timedelta(days=21))
    assert t.action == "expire"
