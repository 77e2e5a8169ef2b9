"""The SLA sweep escalates alerts nobody claimed in time: the manager hears of it and the message says so."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.models import Alert
from store.uow import unit_of_work
from tests.integration.conftest import Stack


def test_unclaimed_alerts_escalate_to_the_manager(stack: Stack) -> None:
    stack.container.check_and_publish()
    with unit_of_work(stack.engine) as session:
        posted = session.scalars(select(Alert).where(Alert.message_ts.is_not(None))).all()
    assert posted
    assert stack.container.sweep() == {}  # nothing is due yet

    stack.container.clock.advance(timedelta(days=4))  # type: ignore[attr-defined]
    transitions = stack.container.sweep_and_publish()
    assert transitions.get("escalate", 0) >= 1
    with unit_of_work(stack.engine) as session:
        escalated = session.scalars(select(Alert).where(Alert.escalated_at.is_not(None))).all()
    notices = [m for m in stack.slack.messages("UMANAGER") if m["text"].startswith("Unclaimed past its SLA")]
    assert len(notices) == len(escalated) >= 1
    alert = escalated[0]
    message = next(m for m in stack.slack.messages(alert.channel_id) if m["ts"] == alert.message_ts)
    assert "scalat" in str(message["blocks"])  # the alert's own message shows the escalation
