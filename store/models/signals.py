"""Signals joined with the CRM data: product usage, NPS responses, and computed health snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base
from store.types import JSONType, UTCDateTime, utcnow


class UsageDaily(Base):
    """Usage for one account on one day. Weekly feeds put the week's figures on its Monday and fill
    `weekly_active_users`; daily feeds fill `active_users` per day."""

    __tablename__ = "usage_daily"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    active_users: Mapped[int] = mapped_column(Integer, default=0)
    weekly_active_users: Mapped[int | None] = mapped_column(Integer)
    key_feature_events: Mapped[int] = mapped_column(Integer, default=0)
    licensed_seats: Mapped[int | None] = mapped_column(Integer)


class NpsResponse(Base):
    __tablename__ = "nps_responses"
    __table_args__ = (Index("ix_nps_responses_account_at", "account_id", "responded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HealthSnapshot(Base):
    __tablename__ = "health_snapshots"
    __table_args__ = (
        Index("ix_health_snapshots_account_at", "account_id", "computed_at"),
        # covers the scoring read of each account's latest snapshot in a window of days
        Index("ix_health_snapshots_account_as_of", "account_id", "as_of", "score", "band"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(16))  # healthy | watch | at_risk | critical
    components: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    drivers: Mapped[list[Any]] = mapped_column(JSONType, default=list)
