"""What the Slack bot calls when someone acts on an alert. Each call is one transaction that changes the
alert, writes one `alert_events` audit row (actor, via, optional request_id) and whatever follows from it
(play run, outcome, outbox item, silence; stakeholder history for champion changes).

`request_id` is unique in `alert_events`: a redelivered Slack interaction carrying the same id changes
nothing and returns the first call's result with `changed=False`. Permission checks belong to the Slack
layer; here every actor may do everything the alert's state allows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.services.audit import AlertChange, act
from bot.services.champions import CRM_TARGETS, ChampionChangeResult, record_champion_change
from bot.services.errors import InvalidInput, InvalidTransition
from connectors.writeback import OUTCOME_ACTIVITY, OutcomeActivity
from plays.clock import Clock
from store import keys, outbox_repo
from store.models import OUTCOME_RESULTS, Account, Alert, Outcome, PlayRun, Silence

__all__ = [
    "AlertChange",
    "ChampionChangeResult",
    "claim",
    "escalate",
    "log_outcome",
    "mark_false_positive",
    "reassign",
    "record_champion_change",
    "snooze",
]


def _open_run(session: Session, alert: Alert, now: datetime) -> PlayRun:
    run = session.scalar(select(PlayRun).where(PlayRun.alert_id == alert.id, PlayRun.status == "open"))
    if run is None:
        run = PlayRun(
            play_id=alert.play_id,
            play_version=alert.play_version,
            account_id=alert.account_id,
            alert_id=alert.id,
            started_at=now,
            status="open",
        )
        session.add(run)
        session.flush()
    return run


def claim(
    engine: Engine,
    alert_id: str,
    *,
    actor: str,
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
) -> AlertChange:
    """firing | snoozed -> claimed by `actor`; starts the play run."""

    def apply(session: Session, alert: Alert, now: datetime) -> dict[str, Any]:
        if alert.state == "claimed":
            raise InvalidTransition(alert.id, "claim", alert.state, f" by {alert.owner_slack_id}")
        previous = alert.owner_slack_id
        alert.state, alert.owner_slack_id, alert.claimed_at, alert.snoozed_until = "claimed", actor, now, None
        run = _open_run(session, alert, now)
        return {"previous_owner": previous, "play_run_id": run.id}

    return act(engine, alert_id, "claim", apply, actor=actor, via=via, request_id=request_id, clock=clock)


def snooze(
    engine: Engine,
    alert_id: str,
    until: datetime,
    *,
    actor: str,
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
) -> AlertChange:
    """Silence the alert until `until`; the SLA sweep wakes it back to firing (or claimed)."""

    def apply(session: Session, alert: Alert, now: datetime) -> dict[str, Any]:
        if until.tzinfo is None or until <= now:
            raise InvalidInput(f"snooze until must be a timezone-aware time after {now.isoformat()}")
        alert.state, alert.snoozed_until = "snoozed", until
        session.add(
            Silence(
                alert_id=alert.id,
                account_id=alert.account_id,
                play_id=alert.play_id,
                starts_at=now,
                ends_at=until,
                created_by=actor,
            )
        )
        return {"until": until.isoformat()}

    return act(engine, alert_id, "snooze", apply, actor=actor, via=via, request_id=request_id, clock=clock)


def reassign(
    engine: Engine,
    alert_id: str,
    new_owner: str,
    *,
    actor: str,
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
) -> AlertChange:
    def apply(session: Session, alert: Alert, now: datetime) -> dict[str, Any]:
        if not new_owner.strip():
            raise InvalidInput("reassign needs a new owner")
        if new_owner == alert.owner_slack_id:
            raise InvalidInput(f"alert {alert.id} is already owned by {new_owner}")
        previous, alert.owner_slack_id = alert.owner_slack_id, new_owner
        return {"from_owner": previous, "to_owner": new_owner}

    return act(engine, alert_id, "reassign", apply, actor=actor, via=via, request_id=request_id, clock=clock)


def escalate(
    engine: Engine,
    alert_id: str,
    *,
    actor: str,
    to: str = "manager",
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
) -> AlertChange:
    def apply(session: Session, alert: Alert, now: datetime) -> dict[str, Any]:
        if alert.escalated_at is not None:
            raise InvalidTransition(
                alert.id,
                "escalate",
                alert.state,
                f" and already escalated at {alert.escalated_at:%Y-%m-%d %H:%M} UTC",
            )
        alert.escalated_at = now
        return {"escalate_to": to}

    return act(engine, alert_id, "escalate", apply, actor=actor, via=via, request_id=request_id, clock=clock)


def mark_false_positive(
    engine: Engine,
    alert_id: str,
    reason: str,
    *,
    actor: str,
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
) -> AlertChange:
    def apply(session: Session, alert: Alert, now: datetime) -> dict[str, Any]:
        if not reason.strip():
            raise InvalidInput("say why the alert is a false positive")
        alert.state, alert.resolved_at, alert.snoozed_until = "false_positive", now, None
        session.execute(
            update(PlayRun)
            .where(PlayRun.alert_id == alert.id, PlayRun.status == "open")
            .values(status="abandoned", completed_at=now)
        )
        return {"reason": reason}

    return act(
        engine, alert_id, "false_positive", apply, actor=actor, via=via, request_id=request_id, clock=clock
    )


def log_outcome(
    engine: Engine,
    alert_id: str,
    result: str,
    what_was_done: str,
    next_step: str | None = None,
    next_step_date: date | None = None,
    *,
    actor: str,
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
) -> AlertChange:
    """Close the alert as done with an outcome: Outcome + PlayRun completed + an outbox item carrying an
    OutcomeActivity to the account's CRM, all in one transaction. Details include `outcome_id`,
    `play_run_id` and `outbox_key` (None for accounts that came from no CRM)."""
    if result not in OUTCOME_RESULTS:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOME_RESULTS)}, not {result!r}")
    if not what_was_done.strip():
        raise InvalidInput("say what was done")

    def apply(session: Session, alert: Alert, now: datetime) -> dict[str, Any]:
        run = _open_run(session, alert, now)
        run.status, run.completed_at = "completed", now
        alert.state, alert.resolved_at, alert.snoozed_until = "done", now, None
        alert.claimed_at = alert.claimed_at or now
        alert.owner_slack_id = alert.owner_slack_id or actor
        outcome = Outcome(
            alert_id=alert.id,
            play_run_id=run.id,
            play_id=alert.play_id,
            account_id=alert.account_id,
            result=result,
            what_was_done=what_was_done,
            next_step=next_step,
            next_step_date=next_step_date,
            logged_by=actor,
            logged_at=now,
        )
        session.add(outcome)
        session.flush()
        account = session.get(Account, alert.account_id)
        key = None
        if account is not None and account.source in CRM_TARGETS:
            key = keys.crm_key("retainer", "outcome", outcome.id)
            body = [f"Outcome: {result}", f"What was done: {what_was_done}"]
            if next_step:
                body.append(
                    f"Next step: {next_step}"
                    + (f" (by {next_step_date.isoformat()})" if next_step_date else "")
                )
            payload = OutcomeActivity(
                account_crm_id=account.crm_id,
                contact_crm_id=None,
                subject=f"Play {alert.play_id.replace('_', ' ')}: {result.replace('_', ' ')}",
                body="\n".join(body),
                status="Completed",
                activity_date=now.date().isoformat(),
                outcome_id=outcome.id,
            )
            outbox_repo.enqueue(
                session,
                idempotency_key=key,
                target=account.source,
                kind=OUTCOME_ACTIVITY,
                payload=dict(payload),
                account_id=account.id,
            )
        return {"result": result, "outcome_id": outcome.id, "play_run_id": run.id, "outbox_key": key}

    return act(
        engine, alert_id, "log_outcome", apply, actor=actor, via=via, request_id=request_id, clock=clock
    )
