"""Who may do what. Roles come from settings (ADMIN_SLACK_IDS, MANAGER_SLACK_IDS) and `slack_users.role`;
everyone else is a CSM. Every refusal carries a sentence the bot shows as an ephemeral message."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from store.models import SlackUser


class Role(StrEnum):
    CSM = "csm"
    MANAGER = "manager"
    ADMIN = "admin"


_RANK = {Role.CSM: 0, Role.MANAGER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class RoleConfig:
    admins: frozenset[str] = frozenset()
    managers: frozenset[str] = frozenset()

    @classmethod
    def from_csv(cls, admins: str, managers: str) -> RoleConfig:
        def ids(text: str) -> frozenset[str]:
            return frozenset(part.strip() for part in text.split(",") if part.strip())

        return cls(ids(admins), ids(managers))


def role_of(user_id: str, config: RoleConfig, session: Session | None = None) -> Role:
    if user_id in config.admins:
        return Role.ADMIN
    if user_id in config.managers:
        return Role.MANAGER
    if session is not None:
        user = session.get(SlackUser, user_id)
        if user is not None and user.role in Role.__members__.values():
            return Role(user.role)
    return Role.CSM


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOW = Decision(True)

# The lowest role each command needs.
COMMAND_ROLES: dict[str, Role] = {
    "/portfolio": Role.CSM,
    "/account": Role.CSM,
    "/plays": Role.CSM,
    "/champion": Role.CSM,
    "/sync": Role.ADMIN,
}


def may_run_command(command: str, role: Role) -> Decision:
    needed = COMMAND_ROLES.get(command)
    if needed is None:
        return Decision(False, f"`{command}` is not a retainer command.")
    if _RANK[role] >= _RANK[needed]:
        return ALLOW
    return Decision(
        False, f"`{command}` is for {needed.value}s; you are set up as a {role.value}. Ask a retainer admin."
    )


def may_act_on_alert(
    user_id: str, role: Role, owner_slack_id: str | None, channel_members: Collection[str]
) -> Decision:
    """The alert's owner, members of the alert's channel, managers and admins may act on an alert."""
    if role in (Role.MANAGER, Role.ADMIN) or user_id == owner_slack_id or user_id in channel_members:
        return ALLOW
    owner = f"<@{owner_slack_id}>" if owner_slack_id else "its channel's members"
    return Decision(
        False, f"Only {owner}, members of the alert's channel or a manager can act on this alert."
    )
