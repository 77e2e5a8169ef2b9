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
class PlayScore:
    play_id: str
    flagged: int  # accounts the play fired for
    true_positives: int  # of those, accounts that churned within the horizon after a fire
    precision: float | None
    recall: float | None  # share of churned accounts the play fired for within the horizon before
    median_lead_days: float | None  # first fire -> churn, for the true positives


def score_play(
    play_id: str,
    fires: Mapping[str, Sequence[date]],  # account -> days the play fired
    churned_on: Mapping[str, date],  # account -> churn date
    horizon_days: int,
) -> PlayScore:
    leads = []
    for account, days in fires.items():
        churn = churned_on.get(account)
        before = [d for d in days if churn is not None and 0 <= (churn - d).days <= horizon_days]
        if before and churn is not None:
            leads.append((churn - min(before)).days)
    flagged = len(fires)
    tp = len(leads)
    return PlayScore(
        play_id=play_id,
        flagged=flagged,
        true_positives=tp,
        precision=round(tp / flagged, 4) if flagged else None,
        recall=round(tp / len(churned_on), 4) if churned_on else None,
        median_lead_days=float(median(leads)) if leads else None,
    )
