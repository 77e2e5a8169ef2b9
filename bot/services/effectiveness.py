"""Play effectiveness from the store: one query over alerts and their outcomes -> `plays.effectiveness`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from plays.effectiveness import AlertRecord, PlayStats, play_stats
from store.models import Alert, Outcome
from store.uow import unit_of_work


def play_effectiveness(engine: Engine, since: datetime) -> list[PlayStats]:
    """Per play: fires, claim time, completion rate, outcomes and save rate for alerts fired since `since`."""
    query = (
        select(Alert.play_id, Alert.state, Alert.fired_at, Alert.claimed_at, Outcome.result)
        .outerjoin(Outcome, Outcome.alert_id == Alert.id)
        .where(Alert.fired_at >= since)
    )
    with unit_of_work(engine) as session:
        return play_stats(AlertRecord(*row) for row in session.execute(query))
