"""The Slack directory in the store: who is who, their role, manager, home channel and CRM owner id."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.permissions import Role, RoleConfig
from store.models import SlackUser
from store.uow import unit_of_work
from store.upsert import bulk_upsert


def import_slack_users(
    engine: Engine,
    client: WebClient,
    roles: RoleConfig,
    *,
    home_channels: Mapping[str, str] | None = None,
    crm_owner_ids: Mapping[str, str] | None = None,
    default_manager: str | None = None,
) -> int:
    """Upsert every human Slack user with an email. `home_channels` and `crm_owner_ids` are keyed by
    email; CSMs get `default_manager` as their manager when given. Returns how many users were stored.

    Only users that `roles` names are made managers or admins; a later re-import keeps the values that
    were not passed again."""
    rows = []
    for page in client.users_list(limit=200):
        for member in page.get("members") or []:
            profile = member.get("profile") or {}
            email = profile.get("email")
            if member.get("is_bot") or member.get("deleted") or not email:
                continue
            user_id = member["id"]
            role = (
                Role.ADMIN
                if user_id in roles.admins
                else Role.MANAGER
                if user_id in roles.managers
                else Role.CSM
            )
            rows.append(
                {
                    "slack_user_id": user_id,
                    "email": email,
                    "name": profile.get("real_name") or member.get("name"),
                    "role": role.value,
                    "manager_slack_id": default_manager if role is Role.CSM else None,
                    "crm_owner_id": (crm_owner_ids or {}).get(email),
                    "timezone": member.get("tz") or "UTC",
                    "home_channel_id": (home_channels or {}).get(email),
                }
            )
    # Re-imports refresh who people are; what nobody passed in this time (home channels, CRM owner ids,
    # managers) and what users chose (digest mode, active hours) stays as it was.
    refreshed = ["email", "name", "role", "timezone"]
    refreshed += [
        column
        for column, given in (
            ("home_channel_id", home_channels),
            ("crm_owner_id", crm_owner_ids),
            ("manager_slack_id", default_manager),
        )
        if given
    ]
    with unit_of_work(engine) as session:
        bulk_upsert(session, SlackUser, rows, ("slack_user_id",), update_columns=refreshed)
    return len(rows)
