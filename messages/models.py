"""The view models builders render: small frozen dataclasses the bot fills from the store and from
plays results. Builders never query anything, so every message can be snapshot-tested.

Every `str` field that can come from a CRM or a person (names, reasons, notes, steps) is escaped when
rendered; ids are validated where they are encoded (`messages.actions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

Audience = Literal["csm", "manager"]
AlertState = Literal["firing", "claimed", "snoozed", "done", "false_positive", "expired"]
OPEN_STATES: tuple[AlertState, ...] = ("firing", "claimed", "snoozed")
OUTCOME_RESULTS: tuple[str, ...] = ("saved", "at_risk", "churn_confirmed", "expansion")
STAKEHOLDER_ROLES: tuple[str, ...] = ("champion", "exec_sponsor", "admin", "finance", "user")
SignalValue = str | int | float


@dataclass(frozen=True)
class Driver:
    """One component of the health score: `points` is its signed effect on the score."""

    label: str
    points: float
    detail: str = ""


@dataclass(frozen=True)
class Health:
    score: int
    band: str  # e.g. healthy | watch | at_risk
    drivers: tuple[Driver, ...] = ()


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    arr: Decimal | int | float
    tier: str  # high | mid | tech_touch
    crm_source: str  # salesforce | hubspot
    crm_url: str | None = None
    renewal_date: date | None = None
    deleted: bool = False  # deleted in the CRM: its open alerts were closed


@dataclass(frozen=True)
class Alert:
    """An alert as shown in Slack: the play's output plus its lifecycle state."""

    id: str
    play_id: str
    play_name: str
    account: Account
    reason: str  # why it fired, one sentence from the trigger
    state: AlertState = "firing"
    severity: str = "warning"  # info | warning | critical
    steps: tuple[str, ...] = ()  # the play's recommended steps
    signals: Mapping[str, SignalValue] = field(default_factory=dict)  # play-specific evidence
    health: Health | None = None
    owner_slack_id: str | None = None
    claimed_by: str | None = None
    snoozed_until: datetime | None = None
    escalated_to: str | None = None
    outcome: str | None = None  # one of OUTCOME_RESULTS once done
    outcome_by: str | None = None
    false_positive_reason: str | None = None
    fired_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    title: str = ""
    email: str = ""


@dataclass(frozen=True)
class DigestItem:
    alert_id: str
    play_id: str
    play_name: str
    account_id: str
    account_name: str
    reason: str
    severity: str = "warning"
    arr: Decimal | int | float = 0
