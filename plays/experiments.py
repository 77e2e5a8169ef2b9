"""A/B assignment of play timing, deterministic by account, with a holdout; lift with a confidence
interval (difference of two proportions, Agresti-Caffo)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from plays.catalog import HOLDOUT_ARM, Arm, Experiment

HOLDOUT = HOLDOUT_ARM


def _unit(experiment_id: str, account_id: str) -> float:
    digest = hashlib.sha256(f"{experiment_id}:{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_arm(
    experiment_id: str, account_id: str, arms: Sequence[tuple[str, float]], holdout: float = 0.1
) -> str:
    """The arm for an account: `holdout` of accounts get no play at all; the rest split by weight.

    The same (experiment, account) always gets the same arm, on any machine."""
    if not 0 <= holdout < 1 or not arms or any(w <= 0 for _, w in arms):
        raise ValueError("holdout must be in [0, 1) and arms need positive weights")
    u = _unit(experiment_id, account_id)
    if u < holdout:
        return HOLDOUT
    pick = (u - holdout) / (1 - holdout) * sum(w for _, w in arms)
    for name, weight in arms:
        pick -= weight
        if pick < 0:
            return name
    return arms[-1][0]


def arm_for(experiment: Experiment, play_id: str, account_id: str) -> Arm | None:
    """The account's arm of a play's timing experiment (the play id names the experiment); None for
    the holdout, which gets no play."""
    name = assign_arm(play_id, account_id, [(a.name, a.weight) for a in experiment.arms], experiment.holdout)
    return next((a for a in experiment.arms if a.name == name), None)


MIN_ARM_N = 10  # fewer closed alerts than this in either arm: a lift is never called significant


@dataclass(frozen=True, slots=True)
class Lift:
    treated_rate: float
    control_rate: float
    lift: float  # treated - control, in rate points (the observed difference)
    low: float  # Agresti-Caffo interval at `confidence`, within -1..1
    high: float
    confidence: float
    treated_n: int = 0
    control_n: int = 0

    @property
    def enough_data(self) -> bool:
        """Both arms have at least MIN_ARM_N alerts with a logged outcome (the rates' denominators)."""
        return min(self.treated_n, self.control_n) >= MIN_ARM_N

    @property
    def significant(self) -> bool:
        """The interval excludes zero and both arms have at least MIN_ARM_N outcomes."""
        return self.enough_data and (self.low > 0 or self.high < 0)


def lift(
    treated_success: int, treated_n: int, control_success: int, control_n: int, confidence: float = 0.95
) -> Lift:
    """Save-rate lift of treated over control: the observed difference of the two rates, with an
    Agresti-Caffo interval at `confidence` (one success and one failure added to each arm before the
    normal approximation, so a 0% or 100% arm still gets a width; clipped to -1..1).

    `significant` also needs at least MIN_ARM_N (10) outcomes in each arm: below that the interval is
    shown but no lift is called."""
    if treated_n <= 0 or control_n <= 0:
        raise ValueError("both groups need at least one account")
    pt, pc = treated_success / treated_n, control_success / control_n
    at, ac = (treated_success + 1) / (treated_n + 2), (control_success + 1) / (control_n + 2)
    se = (at * (1 - at) / (treated_n + 2) + ac * (1 - ac) / (control_n + 2)) ** 0.5
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    centre = at - ac
    return Lift(
        pt,
        pc,
        pt - pc,
        max(-1.0, centre - z * se),
        min(1.0, centre + z * se),
        confidence,
        treated_n,
        control_n,
    )
