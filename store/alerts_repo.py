"""Set-based reads and bulk writes for the alert lifecycle: open alerts, recent resolutions, silences,
routing, and bulk inserts of alerts, audit events and health snapshots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from store.id_sets import in_ids, only
from store.models import (
    OPEN_ALERT_STATES,
    Account,
    Alert,
    AlertEvent,
    ChannelRoute,
    CsmAssignment,
    ExperimentArm,
    HealthSnapshot,
    Silence,
    SlackUser,
)
from store.types import new_id
from store.upsert import bulk_insert

_CHUNK = 10_000
_OPEN = text("state IN ('firing', 'claimed', 'snoozed')")


def _only(session: Session, query: Any, column: Any, ids: Sequence[str] | None) -> Any:
    return only(query, column, ids, session.get_bind().dialect)


def open_alerts(session: Session, account_ids: Sequence[str] | None = None) -> list[Any]:
    query = (
        select(
            Alert.id,
            Alert.fingerprint,
            Alert.account_id,
            Alert.play_id,
            Alert.state,
            Alert.fired_at,
            Alert.due_at,
            Alert.claimed_at,
            Alert.escalated_at,
            Alert.snoozed_until,
            Alert.deliver_at,
            Alert.steps_reminded,
            Account.is_deleted.label("account_deleted"),
        )
        .join(Account, Account.id == Alert.account_id)
        .where(Alert.state.in_(OPEN_ALERT_STATES))
    )
    return list(session.execute(_only(session, query, Alert.account_id, account_ids)))


def last_resolved(
    session: Session,
    since: datetime,
    account_ids: Sequence[str] | None = None,
    *,
    occurrences_since: datetime | None = None,
) -> dict[str, datetime]:
    """fingerprint -> when its latest alert was resolved, for alerts resolved after `since`, and for
    alerts whose reason names an occurrence (`nps:<id>`...) resolved after `occurrences_since`."""
    recent = Alert.resolved_at >= since
    if occurrences_since is not None and occurrences_since < since:
        recent = or_(recent, and_(Alert.resolved_at >= occurrences_since, Alert.reason.contains(":")))
    query = (
        select(Alert.fingerprint, func.max(Alert.resolved_at))
        .where(Alert.state.not_in(OPEN_ALERT_STATES), recent)
        .group_by(Alert.fingerprint)
    )
    return {fp: at for fp, at in session.execute(_only(session, query, Alert.account_id, account_ids))}


def active_silences(session: Session, now: datetime) -> list[Silence]:
    """Silences not yet ended that match by account and/or play (alert-id silences are snoozes)."""
    query = select(Silence).where(Silence.ends_at > now, Silence.alert_id.is_(None))
    return list(session.scalars(query))


def channel_routes(session: Session) -> list[ChannelRoute]:
    return list(session.scalars(select(ChannelRoute).order_by(ChannelRoute.priority)))


def home_channels(session: Session, slack_ids: Sequence[str]) -> dict[str, str]:
    """Slack user id -> that user's home channel, for users who have one."""
    if not slack_ids:
        return {}
    query = select(SlackUser.slack_user_id, SlackUser.home_channel_id).where(
        SlackUser.slack_user_id.in_(slack_ids), SlackUser.home_channel_id.is_not(None)
    )
    return {user: channel for user, channel in session.execute(query) if channel}


def owners(session: Session, account_ids: Sequence[str]) -> dict[str, str]:
    """account id -> the owning CSM's Slack id: an explicit owner assignment, else the Slack user whose
    CRM owner id or email equals the account's CRM owner."""
    found: dict[str, str] = {}
    for start in range(0, len(account_ids), _CHUNK):  # bind-parameter limits: chunk long IN lists
        _owners(session, account_ids[start : start + _CHUNK], found)
    return found


def _owners(session: Session, account_ids: Sequence[str], found: dict[str, str]) -> None:
    for account_id, slack_id in session.execute(
        select(CsmAssignment.account_id, CsmAssignment.slack_user_id).where(
            CsmAssignment.role == "owner", CsmAssignment.account_id.in_(account_ids)
        )
    ):
        found[account_id] = slack_id
    missing = [a for a in account_ids if a not in found]
    if missing:
        by_owner = (
            select(Account.id, SlackUser.slack_user_id)
            .join(
                SlackUser,
                (SlackUser.crm_owner_id == Account.crm_owner_id) | (SlackUser.email == Account.crm_owner_id),
            )
            .where(Account.id.in_(missing))
        )
        for account_id, slack_id in session.execute(by_owner):
            found.setdefault(account_id, slack_id)


def insert_alerts(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Insert new alerts; a fingerprint that already has an open alert (a concurrent pass got there
    first) is skipped by the partial unique index. Returns the ids actually inserted.

    Each row carries a fresh id (one is drawn where missing), so the ids found afterwards are exactly
    the rows this call inserted."""
    if not rows:
        return []
    rows = [row if row.get("id") else {**row, "id": new_id()} for row in rows]
    bulk_insert(session, Alert, rows, skip_conflicts_on=("fingerprint",), conflict_where=_OPEN)
    ids = [str(row["id"]) for row in rows]
    present = set(session.scalars(select(Alert.id).where(in_ids(Alert.id, ids, session.get_bind().dialect))))
    return [i for i in ids if i in present]


def record_arms(session: Session, arms: Mapping[tuple[str, str], str], now: datetime) -> None:
    """Store each (play, account) -> arm of a timing experiment; an account keeps its first arm."""
    rows = [
        {"experiment_id": play, "account_id": account, "arm": arm, "assigned_at": now}
        for (play, account), arm in arms.items()
    ]
    if rows:
        bulk_insert(session, ExperimentArm, rows, skip_conflicts_on=("experiment_id", "account_id"))


def insert_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(session, AlertEvent, rows)


def update_alerts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk UPDATE by primary key: each row has `id` and the columns to set."""
    if rows:
        session.execute(update(Alert), list(rows))


def mark_seen(session: Session, alert_ids: Sequence[str], at: datetime) -> None:
    """Set `last_seen_at` on many alerts in one statement (the ids travel as one parameter). Not
    `updated_at`: that one means "its message must be refreshed", and being seen again changes nothing
    the message shows."""
    if alert_ids:
        dialect = session.get_bind().dialect
        session.execute(
            update(Alert).where(in_ids(Alert.id, alert_ids, dialect)).values(last_seen_at=at),
            execution_options={"synchronize_session": False},
        )


def insert_snapshots(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    bulk_insert(session, HealthSnapshot, rows)
