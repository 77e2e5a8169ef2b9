"""The alert lifecycle's records: alerts, their audit trail, play runs, outcomes, silences, A/B arms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base
from store.types import JSONType, UTCDateTime, UUIDStr, new_id, utcnow

ALERT_STATES = ("firing", "claimed", "snoozed", "done", "false_positive", "expired")
OPEN_ALERT_STATES = ("firing", "claimed", "snoozed")
_OPEN_PREDICATE = text("state IN ('firing', 'claimed', 'snoozed')")


class Alert(Base):
    """One alert per fingerprint (account, play, reason) while open: a partial unique index enforces it."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=_OPEN_PREDICATE,
            postgresql_where=_OPEN_PREDICATE,
        ),
        Index("ix_alerts_account_play", "account_id", "play_id"),
        Index("ix_alerts_state_due", "state", "due_at"),
    )

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True, default=new_id)
    fingerprint: Mapped[str] = mapped_column(String(128))
    play_id: Mapped[str] = mapped_column(String(64))
    play_version: Mapped[int] = mapped_column(Integer, default=1)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(String(255))
    severity: Mapped[str] = mapped_column(String(16), default="warning")  # info | warning | critical
    state: Mapped[str] = mapped_column(String(16), default="firing")
    owner_slack_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # what its message shows
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a later pass hit it again
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a timing experiment's delayed arm: not posted or listed to the CSM before then (None: at once)
    deliver_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the play's steps (in order) the owner has been reminded of, or that were due at once
    steps_reminded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


NOTICE_PENDING = "pending"  # alert_events.notice: a scheduler event someone still has to be told of
NOTICE_SENT = "sent"  # Slack accepted the notice
NOTICE_SKIPPED = "skipped"  # no longer worth telling (the alert moved on, or the notice went stale)
_PENDING_NOTICE = text("notice = 'pending'")


class AlertEvent(Base):
    """Audit trail: who did what to an alert, when, and from where (slack, scheduler, cli).

    Scheduler events that someone must hear of (an escalation for the manager, a follow-up step for the
    owner) carry `notice`: pending until Slack accepted the message, so a failed post is tried again on
    the next publish and a sent one never goes twice."""

    __tablename__ = "alert_events"
    __table_args__ = (
        Index(
            "ix_alert_events_pending_notice",
            "at",
            sqlite_where=_PENDING_NOTICE,
            postgresql_where=_PENDING_NOTICE,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    via: Mapped[str] = mapped_column(String(16), default="system")
    request_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # dedups redelivered clicks
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notice: Mapped[str | None] = mapped_column(String(8))


class PlayRun(Base):
    __tablename__ = "play_runs"

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True, default=new_id)
    play_id: Mapped[str] = mapped_column(String(64), index=True)
    play_version: Mapped[int] = mapped_column(Integer, default=1)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id"))
    arm: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | completed | abandoned


OUTCOME_RESULTS = ("saved", "at_risk", "churn_confirmed", "expansion")


class Outcome(Base):
    __tablename__ = "outcomes"

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True, default=new_id)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    play_run_id: Mapped[str | None] = mapped_column(ForeignKey("play_runs.id"))
    play_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    result: Mapped[str] = mapped_column(String(32))
    what_was_done: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    next_step_date: Mapped[date | None] = mapped_column(Date)
    logged_by: Mapped[str] = mapped_column(String(64))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Silence(Base):
    """A snooze: matches alerts by alert id, or by account and/or play, between starts_at and ends_at."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    play_id: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)


class ExperimentArm(Base):
    __tablename__ = "experiment_arms"
    __table_args__ = (UniqueConstraint("experiment_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    arm: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
