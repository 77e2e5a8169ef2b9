"""What the Slack listeners need, built once by the composition root and handed to each `register`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from bot.permissions import RoleConfig
from bot.slack.publisher import AlertPublisher, Rendering
from plays.clock import Clock


@dataclass
class SlackDeps:
    engine: Engine
    clock: Clock
    rendering: Rendering
    publisher: AlertPublisher
    roles: RoleConfig = field(default_factory=RoleConfig)
    escalation_channel: str = "#cs-escalations"
    default_channel: str = "#cs-alerts"
    timezone: str = "UTC"  # for users whose Slack profile gives none
    after_change: Callable[[], object] | None = None  # runs after each change, e.g. post new alerts now
