"""Routing: which channel an alert goes to, and who owns it.

Owner: the account's `csm_assignments` owner, else the Slack user mapped to the account's CRM owner.
Channel: the first `channel_routes` row (ascending priority) whose non-null tier / play / CSM all match;
else the owner's home channel; else the default channel from settings. Routes and users are loaded once
per pass (`Router.load`), so routing 10,000 alerts costs two queries, not 20,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ChannelRoute, CsmAssignment, SlackUser


@dataclass(frozen=True)
class Route:
    channel: str
    owner_slack_id: str | None
    manager_slack_id: str | None


@dataclass
class Router:
    routes: list[ChannelRoute]
    users_by_crm_owner: dict[str, SlackUser]
    users: dict[str, SlackUser]
    owners: dict[str, str]  # account id -> slack user id
    default_channel: str

    @classmethod
    def load(cls, session: Session, default_channel: str, account_ids: list[str] | None = None) -> Router:
        routes = list(session.scalars(select(ChannelRoute).order_by(ChannelRoute.priority, ChannelRoute.id)))
        users = {u.slack_user_id: u for u in session.scalars(select(SlackUser))}
        by_owner = {u.crm_owner_id: u for u in users.values() if u.crm_owner_id}
        query: Any = select(CsmAssignment.account_id, CsmAssignment.slack_user_id).where(
            CsmAssignment.role == "owner"
        )
        if account_ids is not None:
            query = query.where(CsmAssignment.account_id.in_(account_ids))
        owners = {row.account_id: row.slack_user_id for row in session.execute(query)}
        return cls(routes, by_owner, users, owners, default_channel)

    def owner_for(self, account_id: str, crm_owner_id: str | None) -> str | None:
        if account_id in self.owners:
            return self.owners[account_id]
        user = self.users_by_crm_owner.get(crm_owner_id or "")
        return user.slack_user_id if user else None

    def route(self, *, account_id: str, crm_owner_id: str | None, tier: str | None, play_id: str) -> Route:
        owner = self.owner_for(account_id, crm_owner_id)
        manager = self.users[owner].manager_slack_id if owner in self.users else None
        for route in self.routes:
            if (
                (route.tier is None or route.tier == tier)
                and (route.play_id is None or route.play_id == play_id)
                and (route.csm_slack_id is None or route.csm_slack_id == owner)
            ):
                return Route(route.channel_id, owner, manager)
        home = self.users[owner].home_channel_id if owner in self.users else None
        return Route(home or self.default_channel, owner, manager)
