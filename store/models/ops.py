"""Operational records: write-back outbox, sync cursors and runs, Slack users and routing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base
from store.types import JSONType, UTCDateTime, UUIDStr, new_id, utcnow

OUTBOX_STATES = ("pending", "sent", "failed", "parked")


class OutboxItem(Base):
    """A write-back to a CRM, written in the same transaction as the state change that caused it."""

    __tablename__ = "outbox_items"
    __table_args__ = (Index("ix_outbox_items_state_next", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    target: Mapped[str] = mapped_column(String(16))  # salesforce | hubspot
    kind: Mapped[str] = mapped_column(String(32))  # outcome_activity | champion_change
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    crm_record_id: Mapped[str | None] = mapped_column(String(64))


class SyncState(Base):
    """Per source+stream cursor, committed in the same transaction as the page of data it covers."""

    __tablename__ = "sync_state"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_started", "source", "started_at"),)

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(16))
    stream: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="incremental")  # full | incremental
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | partial | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    records_upserted: Mapped[int] = mapped_column(Integer, default=0)
    records_deleted: Mapped[int] = mapped_column(Integer, default=0)
    records_rejected: Mapped[int] = mapped_column(Integer, default=0)
    requests_made: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class SlackUser(Base):
    __tablename__ = "slack_users"

    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="csm")  # csm | manager | admin
    manager_slack_id: Mapped[str | None] = mapped_column(String(32))
    crm_owner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_mode: Mapped[str] = mapped_column(String(16), default="realtime")  # realtime | hourly | daily
    active_hours: Mapped[str | None] = mapped_column(String(16))  # "09-18"
    home_channel_id: Mapped[str | None] = mapped_column(String(32))


class CsmAssignment(Base):
    __tablename__ = "csm_assignments"
    __table_args__ = (UniqueConstraint("account_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    slack_user_id: Mapped[str] = mapped_column(ForeignKey("slack_users.slack_user_id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="owner")  # owner | backup
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChannelRoute(Base):
    """Routing: the first matching route by ascending priority picks the channel; nulls match anything."""

    __tablename__ = "channel_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    tier: Mapped[str | None] = mapped_column(String(16))
    play_id: Mapped[str | None] = mapped_column(String(64))
    csm_slack_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(64))
