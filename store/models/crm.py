"""CRM-derived records: accounts, contacts, deals, stakeholder roles, tickets, contracts.

Rows synced from a CRM carry `source` ("salesforce" | "hubspot" | "ingest") and the vendor's `crm_id`;
their `id` is `store.keys.crm_key(...)`, deterministic, so children can reference parents without a
lookup. Deletes in the CRM set `is_deleted` (rows are kept: alerts and outcomes point at them).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base
from store.types import KEEP_WHEN_NULL, JSONType, UTCDateTime, UUIDStr, utcnow


class SyncedMixin:
    source: Mapped[str] = mapped_column(String(16))
    crm_id: Mapped[str] = mapped_column(String(64))
    crm_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Account(SyncedMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("source", "crm_id"),)

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(128))
    crm_owner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    arr: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    contract_start: Mapped[date | None] = mapped_column(Date)
    renewal_date: Mapped[date | None] = mapped_column(Date, index=True)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(32))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Contact(SyncedMixin, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("source", "crm_id"),
        # covers the scoring join from stakeholder roles: no table lookup per role
        Index("ix_contacts_live", "id", "is_deleted", "left_company_at"),
    )

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    # A departure recorded from Slack (a champion change) is kept when the CRM's field is empty;
    # a date the CRM does send replaces it.
    left_company_at: Mapped[date | None] = mapped_column(Date, info={KEEP_WHEN_NULL: True})


class Deal(SyncedMixin, Base):
    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("source", "crm_id"),)

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(32))  # new_business | renewal | expansion
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    close_date: Mapped[date | None] = mapped_column(Date)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    is_won: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


STAKEHOLDER_ROLES = ("champion", "exec_sponsor", "admin", "finance", "user")
# What names one spell, the ON CONFLICT target of every write to stakeholder_roles. A CRM record (an
# OpportunityContactRole) keeps a spell of its own: a contact who is champion on two opportunities of
# one account, both roles created the same day, has two spells, and ending one leaves the other open.
# Rows recorded without a CRM record (Slack, the portfolio loader) have crm_id "".
STAKEHOLDER_ROLE_KEY = ("account_id", "contact_id", "role", "valid_from", "crm_id")


_OPEN_SPELL = text("valid_to IS NULL")


class StakeholderRole(Base):
    """A contact's role at an account over a validity period (a spell); a champion change closes one and
    opens one. A contact holds a role while any of their spells for it is open (several CRM records may
    each give them the role)."""

    __tablename__ = "stakeholder_roles"
    __table_args__ = (
        UniqueConstraint(*STAKEHOLDER_ROLE_KEY, name="uq_stakeholder_roles_spell"),
        Index("ix_stakeholder_roles_current", "account_id", "role", "valid_to"),
        # the open spell of a CRM record (an OpportunityContactRole), found by the record's id when the
        # record arrives again; not unique: HubSpot names a company-contact pair once for all its roles
        Index(
            "ix_stakeholder_roles_open_crm_id",
            "source",
            "crm_id",
            sqlite_where=_OPEN_SPELL,
            postgresql_where=_OPEN_SPELL,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))  # salesforce | hubspot | slack | ingest
    # the CRM record behind the spell (an OpportunityContactRole id, HubSpot's "company:contact"); "" if none
    crm_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    recorded_by: Mapped[str | None] = mapped_column(String(64))


class Ticket(SyncedMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("source", "crm_id"),
        Index("ix_tickets_account_opened", "account_id", "opened_at"),
        # covers the scoring read: the last 28 days by range, without visiting older tickets
        Index("ix_tickets_opened", "opened_at", "account_id", "priority", "is_deleted"),
    )

    id: Mapped[str] = mapped_column(UUIDStr(), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    subject: Mapped[str] = mapped_column(String(255))
    priority: Mapped[str | None] = mapped_column(String(16))  # low | medium | high | urgent
    status: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Contract(Base):
    """Billing contracts (ingested): ARR per term. The account's current ARR/renewal live on Account."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    arr: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
