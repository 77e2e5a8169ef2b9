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


def test_a_follow_up_step_reminds_the_owner_once_when_due(stack: Stack) -> None:
    """A play's later step ("call after 3 business days if no response") reaches the owner as a reminder
    with the alert's buttons, once, while the alert is still open; a closed alert gets none."""
    stack.container.check_and_publish()
    with unit_of_work(stack.engine) as session:
        open_alerts = session.scalars(select(Alert).where(Alert.message_ts.is_not(None))).all()
        stepped = [a for a in open_alerts if stack.container.catalog[a.play_id].steps[1:]]
    assert stepped, "the seeded portfolio fires plays with follow-up steps"

    stack.container.clock.advance(timedelta(days=20))  # type: ignore[attr-defined]
    transitions = stack.container.sweep_and_publish()
    assert transitions.get("step_due", 0) >= 1

    def reminders() -> list[dict[str, object]]:
        owners = {a.owner_slack_id or a.channel_id for a in stepped}
        return [m for o in owners for m in stack.slack.messages(o) if m["text"].startswith("Next step due")]

    sent = reminders()
    with unit_of_work(stack.engine) as session:
        reminded = session.scalars(select(Alert).where(Alert.steps_reminded > 0)).all()
    assert len(sent) == len(reminded) >= 1
    assert any("actions" in str(m["blocks"]) for m in sent)  # the reminder carries the alert's buttons

    stack.container.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    stack.container.sweep_and_publish()
    assert len(reminders()) == len(sent)  # once only


def test_an_hourly_rescore_that_changes_nothing_updates_no_message(stack: Stack) -> None:
    """Alerts still firing on the next pass are seen again (`last_seen_at`), but their messages show
    nothing new, so no chat.update goes out: with thousands of open alerts, re-sending each every hour
    would exceed Slack's chat.update rate limit."""
    first = stack.container.check_and_publish()
    assert first.fired > 0
    updates = stack.slack.api_calls("chat.update")
    stack.container.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    again = stack.container.check_and_publish()
    assert again.fired == 0 and again.refreshed == first.fired
    assert stack.slack.api_calls("chat.update") == updates
    with unit_of_work(stack.engine) as session:
        seen = session.scalars(select(Alert).where(Alert.last_seen_at.is_not(None))).all()
    assert len(seen) == again.refreshed
