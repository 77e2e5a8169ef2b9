"""The synthetic portfolio's neutral record types: what both CRM sandboxes and the signal ingest load."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

TIERS = ("high", "mid", "tech")
PATTERNS = ("steady", "growing", "usage_decline", "wau_drop_mom", "recovering")


def tier_for_arr(arr: float) -> str:
    """Touch tier: $50K+ high, $5K-50K mid, under $5K tech-touch."""
    if arr >= 50_000:
        return "high"
    if arr >= 5_000:
        return "mid"
    return "tech"


@dataclass(frozen=True, slots=True)
class RoleSpan:
    role: str  # champion | exec_sponsor | admin | finance | user
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class PContact:
    key: str
    account_key: str
    first_name: str
    last_name: str
    email: str
    title: str
    roles: tuple[RoleSpan, ...]
    left_on: date | None


@dataclass(frozen=True, slots=True)
class PDeal:
    key: str
    account_key: str
    name: str
    kind: str  # new_business | renewal | expansion
    stage: str
    amount: float
    close_date: date
    is_closed: bool
    is_won: bool


@dataclass(frozen=True, slots=True)
class UsageSeries:
    """Weekly usage: week i starts on first_week + 7*i (a Monday)."""

    first_week: date
    weekly_active_users: tuple[int, ...]
    key_feature_events: tuple[int, ...]
    licensed_seats: int

    def weeks(self) -> Iterator[tuple[date, int, int]]:
        for i, (wau, events) in enumerate(
            zip(self.weekly_active_users, self.key_feature_events, strict=True)
        ):
            yield self.first_week + timedelta(days=7 * i), wau, events


@dataclass(frozen=True, slots=True)
class PTicket:
    key: str
    account_key: str
    contact_key: str | None
    subject: str
    priority: str  # low | medium | high | urgent
    status: str  # new | working | closed
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PNps:
    key: str
    account_key: str
    contact_key: str | None
    score: int
    comment: str
    responded_at: datetime


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What was planted, and what happened: the answers backtests and tests check against."""

    pattern: str
    pattern_start: date | None
    outcome: str  # churned | renewed
    outcome_date: date
    champion_departed_on: date | None
    ticket_spike_week: date | None
    detractor: bool


@dataclass(frozen=True, slots=True)
class PAccount:
    key: str
    index: int
    name: str
    domain: str
    industry: str
    owner_email: str
    arr: float
    tier: str
    contract_start: date
    renewal_date: date
    created_at: datetime
    modified_at: datetime
    contacts: tuple[PContact, ...]
    deals: tuple[PDeal, ...]
    usage: UsageSeries
    tickets: tuple[PTicket, ...]
    nps: tuple[PNps, ...]
    truth: GroundTruth
