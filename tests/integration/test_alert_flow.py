"""Trigger -> alert posted -> signed clicks -> state change + message update -> outcome modal -> outbox ->
Task in the Salesforce sandbox exactly once, even when Slack delivers the same click twice."""

from __future__ import annotations

import time
from typing import Any

from simple_salesforce.api import Salesforce
from sqlalchemy import func, select

from connectors.salesforce.client import http_session
from messages.actions import AlertAction, AlertVerb
from store.models import Alert, AlertEvent, OutboxItem, Outcome
from store.uow import unit_of_work
from tests.integration.conftest import Stack, redeliver, wait_for


def _posted_alert(stack: Stack) -> tuple[Alert, dict[str, Any]]:
    with unit_of_work(stack.engine) as session:
        alert = session.scalars(
            select(Alert)
            .where(Alert.message_ts.is_not(None), Alert.channel_id.like("CCSM%"))
            .order_by(Alert.id)
        ).first()
        assert alert is not None, "no alert was posted to a CSM channel"
    message = next(m for m in stack.slack.messages(alert.channel_id) if m["ts"] == alert.message_ts)
    return alert, message


def _state(stack: Stack, alert_id: str) -> str:
    with unit_of_work(stack.engine) as session:
        return session.get(Alert, alert_id).state


def _events(stack: Stack, alert_id: str) -> int:
    with unit_of_work(stack.engine) as session:
        return session.scalar(
            select(func.count()).select_from(AlertEvent).where(AlertEvent.alert_id == alert_id)
        )


def test_alert_lifecycle_from_trigger_to_crm_task(stack: Stack) -> None:
    summary = stack.container.check()
    assert summary.fired > 0  # type: ignore[attr-defined]
    report = stack.container.publish()
    assert report.posted >= summary.fired  # type: ignore[attr-defined]
    alert, message = _posted_alert(stack)
    owner = alert.owner_slack_id
    assert owner is not None and owner.startswith("UCSM")
    assert "Claim" in str(message["blocks"])

    claim = AlertAction(AlertVerb.CLAIM, alert.id).encode()
    delivery = stack.slack.click(owner, alert.channel_id, alert.message_ts, claim)
    assert delivery.status == 200
    wait_for(lambda: _state(stack, alert.id) == "claimed")
    updated = wait_for(
        lambda: next(
            (
                m
                for m in stack.slack.messages(alert.channel_id)
                if m["ts"] == alert.message_ts and "Claimed" in str(m)
            ),
            None,
        )
    )
    assert "Log outcome" in str(updated["blocks"])

    # The same click delivered again (a retry with a fresh signature) changes nothing.
    events_before = _events(stack, alert.id)
    assert redeliver(stack, delivery.body) == 200
    time.sleep(0.5)
    assert _events(stack, alert.id) == events_before

    log_outcome = AlertAction(AlertVerb.LOG_OUTCOME, alert.id).encode()
    stack.slack.click(owner, alert.channel_id, alert.message_ts, log_outcome)
    modal = wait_for(lambda: stack.slack.open_modal(owner))
    submitted = stack.slack.submit_view(
        owner,
        modal["id"],
        {
            "outcome_done": "Called the champion; agreed a usage review",
            "outcome_result": "saved",
            "outcome_next": "QBR",
        },
    )
    assert submitted.status == 200
    wait_for(lambda: _state(stack, alert.id) == "done")
    with unit_of_work(stack.engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(Outcome).where(Outcome.alert_id == alert.id)) == 1
        )
        item = session.scalars(select(OutboxItem).where(OutboxItem.account_id == alert.account_id)).one()
        key = item.idempotency_key

    # The submission delivered twice still makes one outcome.
    assert redeliver(stack, submitted.body) == 200
    time.sleep(0.5)
    stack.container.drain()
    stack.container.drain()
    with unit_of_work(stack.engine) as session:
        assert (
            session.scalar(select(func.count()).select_from(Outcome).where(Outcome.alert_id == alert.id)) == 1
        )
        assert (
            session.scalars(select(OutboxItem).where(OutboxItem.idempotency_key == key)).one().state == "sent"
        )

    info = stack.salesforce.info()
    sf = Salesforce(
        instance_url=info["instance_url"],
        session_id=info["session_id"],
        session=http_session(info["ca_file"]),
        version=info["api_version"],
    )
    tasks = [
        t
        for t in sf.query_all("SELECT Id, Subject, Retainer_Key__c FROM Task")["records"]
        if t["Retainer_Key__c"]
    ]
    assert len(tasks) == 1
    final = next(m for m in stack.slack.messages(alert.channel_id) if m["ts"] == alert.message_ts)
    assert not any(block["type"] == "actions" for block in final["blocks"])  # closed: no buttons left
    assert "saved" in str(final["blocks"]).lower()
