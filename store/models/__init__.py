"""All models, imported here so `Base.metadata` is complete for Alembic and `create_all`."""

from store.base import Base
from store.models.alerts import (
    ALERT_STATES,
    OPEN_ALERT_STATES,
    OUTCOME_RESULTS,
    Alert,
    AlertEvent,
    ExperimentArm,
    Outcome,
    PlayRun,
    Silence,
)
from store.models.crm import (
    STAKEHOLDER_ROLE_KEY,
    STAKEHOLDER_ROLES,
    Account,
    Contact,
    Contract,
    Deal,
    StakeholderRole,
    Ticket,
)
from store.models.ops import (
    OUTBOX_STATES,
    ChannelRoute,
    CsmAssignment,
    OutboxItem,
    SlackUser,
    SyncRun,
    SyncState,
)
from store.models.signals import HealthSnapshot, NpsResponse, UsageDaily

__all__ = [
    "ALERT_STATES",
    "OPEN_ALERT_STATES",
    "OUTBOX_STATES",
    "OUTCOME_RESULTS",
    "STAKEHOLDER_ROLES",
    "STAKEHOLDER_ROLE_KEY",
    "Account",
    "Alert",
    "AlertEvent",
    "Base",
    "ChannelRoute",
    "Contact",
    "Contract",
    "CsmAssignment",
    "Deal",
    "ExperimentArm",
    "HealthSnapshot",
    "NpsResponse",
    "OutboxItem",
    "Outcome",
    "PlayRun",
    "Silence",
    "SlackUser",
    "StakeholderRole",
    "SyncRun",
    "SyncState",
    "Ticket",
    "UsageDaily",
]
