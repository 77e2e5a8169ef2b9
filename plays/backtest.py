"""Backtest metrics: AUC of a risk score against outcomes, precision/recall per play, lead time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median


def auc(risk: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve: P(risk of a random positive > risk of a random negative), ties half.

    Computed from ranks (Mann-Whitney U) in O(n log n)."""
    if len(risk) != len(positive):
        raise ValueError("risk and positive must have the same length")
    n_pos = sum(positive)
    n_neg = len(positive) - n_pos
    if not n_pos or not n_neg:
        raise ValueError("AUC needs at least one positive and one negative")
    order = sorted(range(len(risk)), key=lambda i: risk[i])
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and risk[order[j + 1]] == risk[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        rank_sum += sum(mid_rank for k in range(i, j + 1) if positive[order[k]])
        i = j + 1
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass(frozen=True, slots=True)
class RenewalOutcome:
    account_id: str
    on: date
    churned: bool  # a closed-lost renewal


@dataclass(frozen=True, slots=True)
class PlayScore:
    play_id: str
    flagged: int  # outcomes the play fired for within the horizon before them
    true_positives: int  # of those, churns
    precision: float | None  # true positives / flagged
    recall: float | None  # true positives / all churns
    median_lead_days: float | None  # first fire in the horizon -> churn, over the true positives


def score_play(
    play_id: str,
    fires: Mapping[str, Sequence[date]],  # account -> days the play fired
    outcomes: Sequence[RenewalOutcome],
    horizon_days: int,
) -> PlayScore:
    """Score a play against renewal outcomes: a fire within `horizon_days` before an outcome flags it.
    Fires followed by no outcome within the horizon are censored (their ending is not known yet)."""
    flagged, leads = 0, []
    for outcome in outcomes:
        before = [d for d in fires.get(outcome.account_id, ()) if 0 <= (outcome.on - d).days <= horizon_days]
        if not before:
            continue
        flagged += 1
        if outcome.churned:
            leads.append((outcome.on - min(before)).days)
    churns = sum(o.churned for o in outcomes)
    return PlayScore(
        play_id=play_id,
        flagged=flagged,
        true_positives=len(leads),
        precision=round(len(leads) / flagged, 4) if flagged else None,
        recall=round(len(leads) / churns, 4) if churns else None,
        median_lead_days=float(median(leads)) if leads else None,
    )
