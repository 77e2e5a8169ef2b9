"""The audited transition every alert action goes through: one transaction, one `alert_events` row,
and `request_id` replay (a redelivered Slack interaction with a seen id changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.services.errors import InvalidInput, InvalidTransition, NotFound
from plays.clock import Clock, SystemClock
from store.models import OPEN_ALERT_STATES, Alert, AlertEvent
from store.uow import lock_for_write, unit_of_work


@dataclass(frozen=True)
class AlertChange:
    alert_id: str
    action: str
    from_state: str | None
    to_state: str | None
    changed: bool  # False when the request_id had been seen: nothing was done again
    details: dict[str, Any] = field(default_factory=dict)


def replay(event: AlertEvent, alert_id: str, action: str) -> AlertChange:
    if event.alert_id != alert_id or event.action != action:
        raise InvalidInput(
            f"request id {event.request_id} was already used for {event.action} on {event.alert_id}"
        )
    return AlertChange(
        event.alert_id, event.action, event.from_state, event.to_state, False, dict(event.details)
    )


def seen_request(session: Session, request_id: str | None) -> AlertEvent | None:
    if request_id is None:
        return None
    return session.scalar(select(AlertEvent).where(AlertEvent.request_id == request_id))


Apply = Callable[[Session, Alert, datetime], dict[str, Any]]


def act(
    engine: Engine,
    alert_id: str,
    action: str,
    apply: Apply,
    *,
    actor: str,
    via: str,
    request_id: str | None,
    clock: Clock | None,
) -> AlertChange:
    """Apply `apply` to an open alert and record the audit event; replay a seen `request_id`."""
    now = (clock or SystemClock()).now()
    try:
        with unit_of_work(engine) as session:
            lock_for_write(session)  # the state check below must hold until the change commits
            seen = seen_request(session, request_id)
            if seen is not None:
                return replay(seen, alert_id, action)
            alert = session.get(Alert, alert_id, with_for_update=True)
            if alert is None:
                raise NotFound(f"no alert {alert_id}")
            before = alert.state
            if before not in OPEN_ALERT_STATES:
                raise InvalidTransition(alert_id, action, before)
            details = apply(session, alert, now)
            alert.updated_at = now
            session.add(
                AlertEvent(
                    alert_id=alert_id,
                    at=now,
                    actor=actor,
                    action=action,
                    from_state=before,
                    to_state=alert.state,
                    via=via,
                    request_id=request_id,
                    details=details,
                )
            )
            session.flush()
            return AlertChange(alert_id, action, before, alert.state, True, details)
    except IntegrityError:
        # a concurrent delivery of the same request_id committed first: report its result
        with unit_of_work(engine) as session:
            seen = seen_request(session, request_id)
            if seen is None:
                raise
            return replay(seen, alert_id, action)
