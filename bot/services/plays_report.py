"""`/plays report`: playbook effectiveness over the last N days, from the store into `plays.effectiveness`.

    report = plays_report(session, since=now - timedelta(days=30))

One query reads the alerts fired since `since` with their outcome (an alert has at most one outcome that
counts: the latest); `plays.effectiveness.play_stats` does the arithmetic. When a play runs an A/B
experiment (`experiment_arms.experiment_id` equal to the play id), the save-rate lift of the second arm
over the first (arms in name order, the holdout left out since it gets no play) comes with a confidence
interval from `plays.experiments.lift`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from plays.effectiveness import AlertRecord, PlayStats, play_stats
from plays.experiments import HOLDOUT, Lift, lift
from store.models import Alert, ExperimentArm, Outcome


@dataclass(frozen=True)
class PlayEffect:
    stats: PlayStats
    outcomes: tuple[tuple[str, int], ...]  # result -> count, most frequent first
    arms: tuple[str, str] | None = None  # (control, variant) when an experiment runs
    lift: Lift | None = None


def _records(session: Session, since: datetime) -> list[AlertRecord]:
    """One record per alert fired since `since`."""
    rows = session.execute(
        select(
            Alert.id,
            Alert.play_id,
            Alert.state,
            Alert.fired_at,
            Alert.claimed_at,
            Outcome.result,
        )
        .outerjoin(Outcome, Outcome.alert_id == Alert.id)
        .where(Alert.fired_at >= since)
        .order_by(Alert.id, Outcome.logged_at)
    ).all()
    by_id: dict[str, AlertRecord] = {}
    for row in rows:  # ordered by logged_at: the latest outcome of an alert wins
        by_id[row.id] = AlertRecord(row.play_id, row.state, row.fired_at, row.claimed_at, row.result)
    return list(by_id.values())


def _arm_lift(session: Session, play_id: str, since: datetime) -> tuple[tuple[str, str], Lift] | None:
    """Save-rate lift of the play's second arm over its first, among alerts closed as saved or churned."""
    rows = session.execute(
        select(ExperimentArm.arm, Outcome.result)
        .join(Alert, and_(Alert.account_id == ExperimentArm.account_id, Alert.play_id == play_id))
        .join(Outcome, Outcome.alert_id == Alert.id)
        .where(
            ExperimentArm.experiment_id == play_id,
            ExperimentArm.arm != HOLDOUT,
            Alert.fired_at >= since,
            Outcome.result.in_(("saved", "churn_confirmed")),
        )
    ).all()
    saved: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for arm, result in rows:
        total[arm] += 1
        saved[arm] += result == "saved"
    arms = sorted(total)
    if len(arms) != 2:
        return None
    control, variant = arms
    return (control, variant), lift(saved[variant], total[variant], saved[control], total[control])


def plays_report(session: Session, since: datetime) -> tuple[PlayEffect, ...]:
    """Effectiveness of every play that fired since `since`, in play id order."""
    records = _records(session, since)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        if record.state == "done" and record.outcome:
            outcomes[record.play_id][record.outcome] += 1
    effects = []
    for stats in play_stats(records):
        experiment = _arm_lift(session, stats.play_id, since)
        effects.append(
            PlayEffect(
                stats,
                tuple(outcomes[stats.play_id].most_common()),
                experiment[0] if experiment else None,
                experiment[1] if experiment else None,
            )
        )
    return tuple(effects)
