"""Effectiveness, experiments and backtest metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from plays.backtest import RenewalOutcome, auc, score_play
from plays.effectiveness import AlertRecord, play_stats
from plays.experiments import HOLDOUT, MIN_ARM_N, assign_arm, lift

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_auc_perfect_random_and_ties() -> None:
    assert auc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert auc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.9, 0.3, 0.5, 0.1], [True, True, False, False]) == 0.75
    with pytest.raises(ValueError, match="at least one positive"):
        auc([0.1], [True])


def test_precision_recall_and_lead_time() -> None:
    outcomes = [
        RenewalOutcome("a", date(2026, 6, 1), True),
        RenewalOutcome("b", date(2026, 6, 1), True),
        RenewalOutcome("c", date(2026, 6, 1), True),
        RenewalOutcome("d", date(2026, 6, 1), False),
        RenewalOutcome("e", date(2026, 6, 1), False),
    ]
    fires = {"a": [date(2026, 4, 2), date(2026, 5, 1)], "b": [date(2025, 1, 1)], "d": [date(2026, 5, 1)]}
    s = score_play("usage_decline", fires, outcomes, horizon_days=180)
    assert (s.flagged, s.true_positives, s.precision, s.recall, s.median_lead_days) == (
        2,
        1,
        0.5,
        0.3333,
        60.0,
    )


def test_play_stats() -> None:
    records = [
        AlertRecord("usage_decline", "done", T0, T0 + timedelta(minutes=30), "saved"),
        AlertRecord("usage_decline", "done", T0, T0 + timedelta(minutes=90), "churn_confirmed"),
        AlertRecord("usage_decline", "done", T0, T0 + timedelta(minutes=60), "saved"),
        AlertRecord("usage_decline", "expired", T0),
        AlertRecord("milestone", "done", T0, T0, "expansion"),
    ]
    milestone, usage = play_stats(records)
    assert (usage.fires, usage.claimed, usage.median_claim_minutes, usage.completed) == (4, 3, 60.0, 3)
    assert (usage.completion_rate, usage.saved, usage.churned, usage.save_rate) == (0.75, 2, 1, 0.6667)
    assert (milestone.expanded, milestone.save_rate) == (1, None)


def test_arms_are_deterministic_with_a_holdout() -> None:
    arms = [("immediate", 1.0), ("delay_3d", 1.0)]
    picks = [assign_arm("timing-1", f"acc-{i}", arms, holdout=0.1) for i in range(4000)]
    assert picks == [assign_arm("timing-1", f"acc-{i}", arms, holdout=0.1) for i in range(4000)]
    share = {arm: picks.count(arm) / len(picks) for arm in ("immediate", "delay_3d", HOLDOUT)}
    assert 0.08 < share[HOLDOUT] < 0.12 and 0.40 < share["immediate"] < 0.50
    assert picks != [assign_arm("timing-2", f"acc-{i}", arms, holdout=0.1) for i in range(4000)]


def test_lift_with_confidence_interval() -> None:
    result = lift(60, 100, 40, 100)
    assert result.lift == pytest.approx(0.2)
    # Agresti-Caffo: 61/102 vs 41/102
    centre, p, q = 20 / 102, 61 / 102, 41 / 102
    half = 1.959964 * (p * (1 - p) / 102 + q * (1 - q) / 102) ** 0.5
    assert (result.low, result.high) == pytest.approx((centre - half, centre + half), abs=1e-6)
    assert result.significant
    assert not lift(5, 10, 4, 10).significant


def test_lift_of_an_all_or_nothing_arm_has_a_real_interval_and_small_arms_are_never_significant() -> None:
    tiny = lift(2, 2, 0, 2)  # 100% vs 0% saved, two accounts each
    assert (tiny.treated_rate, tiny.control_rate, tiny.lift) == (1.0, 0.0, 1.0)  # the observed difference
    assert tiny.low < 0 < tiny.high == 1.0 and not tiny.significant
    few = lift(8, 8, 0, 8)  # the interval excludes zero, but 8 accounts per arm are too few to call it
    assert few.low > 0 and few.high == 1.0 and not few.enough_data and not few.significant
    assert MIN_ARM_N == 10
    enough = lift(10, 10, 0, 10)
    assert enough.low > 0 and enough.enough_data and enough.significant
    assert lift(0, 12, 6, 12).significant  # a significant loss
    assert -1.0 <= lift(0, 1, 1, 1).low < lift(0, 1, 1, 1).high <= 1.0
