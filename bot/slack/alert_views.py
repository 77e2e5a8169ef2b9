"""Store rows -> the view models messages/ renders. Reads only; one query per kind of row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.slack.crm_links import CrmLinks
from messages import models as view
from plays.catalog import Catalog, Play
from plays.segments import SegmentConfig, touch_tier
from store.models import Account, Alert, AlertEvent, HealthSnapshot, Outcome

_STEP_WORDS = {"bd": "business days", "d": "days", "h": "hours", "w": "weeks", "m": "minutes"}


def _when(after: Any) -> str:
    text = str(after)
    if text in ("0h", "0d", "0m"):
        return "now"
    number = text.rstrip("bdhwm")
    unit = text[len(number) :]
    return f"after {number} {_STEP_WORDS.get(unit, unit)}"


def play_steps(play: Play | None) -> tuple[str, ...]:
    if play is None:
        return ()
    steps = []
    for step in play.steps:
        words = step.action.replace("_", " ").capitalize()
        condition = f" if {step.condition.replace('_', ' ')}" if step.condition else ""
        steps.append(f"{words} ({_when(step.after)}{condition})")
    return tuple(steps)


def driver(stored: Any) -> view.Driver:
    """A snapshot's driver: {"text", "points"} (older snapshots stored the text alone)."""
    if isinstance(stored, dict):
        return view.Driver(label=str(stored.get("text", "")), points=float(stored.get("points") or 0.0))
    return view.Driver(label=str(stored), points=0.0)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def alert_views(
    session: Session,
    alert_ids: Sequence[str],
    catalog: Catalog,
    segments: SegmentConfig,
    links: CrmLinks,
) -> dict[str, view.Alert]:
    """View models for `alert_ids` (missing ids are left out)."""
    if not alert_ids:
        return {}
    rows = session.execute(
        select(Alert, Account).join(Account, Account.id == Alert.account_id).where(Alert.id.in_(alert_ids))
    ).all()
    account_ids = sorted({account.id for _, account in rows})
    latest = (
        select(HealthSnapshot.account_id, func.max(HealthSnapshot.id).label("id"))
        .where(HealthSnapshot.account_id.in_(account_ids))
        .group_by(HealthSnapshot.account_id)
        .subquery()
    )
    snapshots = {
        s.account_id: s
        for s in session.scalars(select(HealthSnapshot).join(latest, HealthSnapshot.id == latest.c.id))
    }
    outcomes = {
        o.alert_id: o for o in session.scalars(select(Outcome).where(Outcome.alert_id.in_(alert_ids)))
    }
    events: dict[tuple[str, str], AlertEvent] = {
        (e.alert_id, e.action): e
        for e in session.scalars(
            select(AlertEvent)
            .where(AlertEvent.alert_id.in_(alert_ids), AlertEvent.action.in_(("escalate", "false_positive")))
            .order_by(AlertEvent.id)
        )
    }
    result = {}
    for alert, account in rows:
        play = catalog.plays.get(alert.play_id)
        snapshot = snapshots.get(account.id)
        health = None
        if snapshot is not None:
            drivers = tuple(driver(d) for d in snapshot.drivers or ())
            health = view.Health(score=snapshot.score, band=snapshot.band, drivers=drivers)
        arr = account.arr or 0
        details = alert.details or {}
        signals = {k: v for k, v in details.items() if isinstance(v, str | int | float) and k != "summary"}
        outcome = outcomes.get(alert.id)
        escalation = events.get((alert.id, "escalate"))
        false_positive = events.get((alert.id, "false_positive"))
        result[alert.id] = view.Alert(
            id=alert.id,
            play_id=alert.play_id,
            play_name=play.name if play else alert.play_id,
            account=view.Account(
                id=account.id,
                name=account.name,
                arr=arr,
                tier=touch_tier(float(arr), segments),
                crm_source=account.source,
                crm_url=links.account_url(account.source, account.crm_id),
                renewal_date=account.renewal_date,
                deleted=account.is_deleted,
            ),
            reason=str(details.get("summary") or alert.reason),
            state=alert.state,  # type: ignore[arg-type]
            severity=alert.severity,
            steps=play_steps(play),
            signals=signals,
            health=health,
            owner_slack_id=alert.owner_slack_id,
            claimed_by=alert.owner_slack_id if alert.state == "claimed" else None,
            snoozed_until=_aware(alert.snoozed_until),
            escalated_to=str(escalation.details.get("escalate_to") or "manager") if escalation else None,
            outcome=outcome.result if outcome else None,
            outcome_by=outcome.logged_by if outcome else None,
            false_positive_reason=str(false_positive.details.get("reason")) if false_positive else None,
            fired_at=_aware(alert.fired_at),
            due_at=_aware(alert.due_at),
        )
    return result
