"""View models of the manager and admin surfaces: /account, /portfolio, /plays, /sync and App Home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from messages.actions import DigestMode
from messages.models import Account, Alert, Health

Money = Decimal | int | float


@dataclass(frozen=True)
class Stakeholder:
    contact_id: str
    name: str
    role: str  # champion | exec_sponsor | admin | finance | user
    title: str = ""


@dataclass(frozen=True)
class DealLine:
    name: str
    stage: str
    amount: Money
    close_date: date | None = None


@dataclass(frozen=True)
class Activity:
    """A recent ticket, NPS response or note, already summarised in one line."""

    kind: str  # ticket | nps | note
    at: datetime
    summary: str


@dataclass(frozen=True)
class HistoryLine:
    play_name: str
    state: str
    at: datetime
    detail: str = ""  # outcome result, false-positive reason…


@dataclass(frozen=True)
class AccountCard:
    account: Account
    health: Health | None = None
    trend: tuple[int, ...] = ()  # weekly scores, oldest first
    stakeholders: tuple[Stakeholder, ...] = ()
    deals: tuple[DealLine, ...] = ()
    activity: tuple[Activity, ...] = ()
    alerts: tuple[HistoryLine, ...] = ()
    outcomes: tuple[HistoryLine, ...] = ()
    chart_file_id: str | None = None  # the uploaded health trend chart (a Slack file, shown by id)

    @property
    def single_threaded(self) -> bool:
        """Fewer than two distinct engaged contacts."""
        return len({s.contact_id for s in self.stakeholders}) < 2

    @property
    def has_champion(self) -> bool:
        return any(s.role == "champion" for s in self.stakeholders)


@dataclass(frozen=True)
class Bucket:
    """One row of a breakdown: a label, a count, an ARR and the part of it at risk."""

    label: str
    accounts: int
    arr: Money = 0
    at_risk_arr: Money = 0


@dataclass(frozen=True)
class Mover:
    account_name: str
    delta: int
    drivers: str = ""


@dataclass(frozen=True)
class PortfolioSummary:
    scope: str  # plain words: "your book", "team", "tier: high", "segment: renewal"
    accounts: int
    arr: Money
    at_risk_arr: Money
    by_band: tuple[Bucket, ...] = ()
    by_tier: tuple[Bucket, ...] = ()
    renewals: tuple[Bucket, ...] = ()  # label like "next 90 days"
    open_alerts_by_age: tuple[Bucket, ...] = ()
    sla_breaches: int = 0
    movers: tuple[Mover, ...] = ()
    scope_user_id: str | None = None  # whose book or team, shown as a mention


@dataclass(frozen=True)
class PlayStats:
    play_name: str
    fires: int
    median_claim_hours: float | None
    completion_rate: float | None  # 0..1
    save_rate: float | None  # 0..1
    outcomes: tuple[tuple[str, int], ...] = ()
    arm_lift: float | None = None  # B vs A, percentage points
    arm_ci: tuple[float, float] | None = None
    arm_names: tuple[str, str] | None = None  # (A: control, B: variant)
    arm_sizes: tuple[int, int] | None = None  # closed alerts in A and B
    arm_significant: bool = False  # the interval excludes zero and both arms are big enough


@dataclass(frozen=True)
class PlaysReport:
    days: int
    plays: tuple[PlayStats, ...] = ()


@dataclass(frozen=True)
class SyncRunLine:
    source: str
    stream: str
    status: str  # ok | partial | failed | running
    finished_at: datetime | None
    rows: int = 0
    errors: int = 0
    duration_s: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class OutboxFailure:
    account_name: str
    kind: str  # task | note | stakeholder
    attempts: int
    last_error: str
    parked: bool = False


@dataclass(frozen=True)
class SyncStatus:
    runs: tuple[SyncRunLine, ...] = ()
    pending: int = 0
    failures: tuple[OutboxFailure, ...] = ()
    activity: tuple[Activity, ...] = ()  # what the bot wrote to the CRM


@dataclass(frozen=True)
class Home:
    user_id: str
    role: str  # csm | manager | admin
    digest_mode: DigestMode = DigestMode.REALTIME
    open_alerts: tuple[Alert, ...] = ()
    returning: tuple[Alert, ...] = ()  # snoozed, coming back soon
    renewals: tuple[Bucket, ...] = ()
    book: tuple[Bucket, ...] = ()  # by health band
    sla_breaches: tuple[Alert, ...] = ()  # managers
    sync: SyncStatus | None = None  # admins
