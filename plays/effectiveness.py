"""Play effectiveness: per play fires, claim time, completion rate, outcomes and save rate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median

OUTCOME_KIND = {"saved": "saved", "churn_confirmed": "churned", "expansion": "expanded", "at_risk": "at_risk"}


@dataclass(frozen=True, slots=True)
class AlertRecord:
    play_id: str
    state: str
    fired_at: datetime
    claimed_at: datetime | None = None
    outcome: str | None = None  # saved | at_risk | churn_confirmed | expansion


@dataclass(frozen=True, slots=True)
class PlayStats:
    play_id: str
    fires: int
    claimed: int
    median_claim_minutes: float | None
    completed: int  # alerts closed with an outcome
    completion_rate: float
    saved: int
    churned: int
    expanded: int
    save_rate: float | None  # saved / (saved + churned)


def play_stats(records: Iterable[AlertRecord]) -> list[PlayStats]:
    by_play: dict[str, list[AlertRecord]] = defaultdict(list)
    for r in records:
        by_play[r.play_id].append(r)
    out = []
    for play_id in sorted(by_play):
        rs = by_play[play_id]
        waits = [(r.claimed_at - r.fired_at).total_seconds() / 60 for r in rs if r.claimed_at]
        kinds = [OUTCOME_KIND.get(r.outcome or "", "") for r in rs if r.state == "done"]
        saved, churned = kinds.count("saved"), kinds.count("churned")
        out.append(
            PlayStats(
                play_id=play_id,
                fires=len(rs),
                claimed=len(waits),
                median_claim_minutes=round(median(waits), 1) if waits else None,
                completed=len(kinds),
                completion_rate=round(len(kinds) / len(rs), 4),
                saved=saved,
                churned=churned,
                expanded=kinds.count("expanded"),
                save_rate=round(saved / (saved + churned), 4) if saved + churned else None,
            )
        )
    return out
