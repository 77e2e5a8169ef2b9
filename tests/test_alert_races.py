"""Two people acting on one alert at the same moment, on SQLite and PostgreSQL: one succeeds, and the
CRM gets one write-back."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from sqlalchemy import Engine, select

from bot.services import alerts
from bot.services.errors import InvalidTransition
from plays.clock import FakeClock
from store.models import Alert, AlertEvent, OutboxItem, Outcome
from store.uow import unit_of_work
from tests.alert_store import count


def _race(engine: Engine, alert_ids: list[str], act: Callable[[str, str], object]) -> None:
    """Two people act on each alert at the same moment (as two Slack workers would)."""
    for alert_id in alert_ids:
        barrier = threading.Barrier(2)

        def run(actor: str, alert_id: str = alert_id, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            with contextlib.suppress(InvalidTransition):
                act(alert_id, actor)

        threads = [threading.Thread(target=run, args=(actor,)) for actor in ("UAAA", "UBBB")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)


def test_two_people_claiming_at_once_get_one_claim(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        ids = list(s.scalars(select(Alert.id).where(Alert.state == "firing").order_by(Alert.id).limit(15)))

    def claim(alert_id: str, actor: str) -> object:
        return alerts.claim(engine, alert_id, actor=actor, request_id=f"{actor}-{alert_id}", clock=clock)

    _race(engine, ids, claim)
    for alert_id in ids:
        claims = count(engine, AlertEvent, AlertEvent.alert_id == alert_id, AlertEvent.action == "claim")
        assert claims == 1, f"{alert_id} was claimed {claims} times"


def test_two_outcomes_logged_at_once_write_back_once(store: tuple[Engine, FakeClock]) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        ids = list(s.scalars(select(Alert.id).where(Alert.state == "firing").order_by(Alert.id).limit(10)))

    def log(alert_id: str, actor: str) -> object:
        return alerts.log_outcome(
            engine,
            alert_id,
            "saved",
            f"call by {actor}",
            actor=actor,
            request_id=f"o-{actor}-{alert_id}",
            clock=clock,
        )

    _race(engine, ids, log)
    for alert_id in ids:
        assert count(engine, Outcome, Outcome.alert_id == alert_id) == 1
    assert count(engine, OutboxItem, OutboxItem.kind == "outcome_activity") == len(ids)
