"""Which accounts a `/portfolio` request covers, and whether the person asking may see them.

`resolve_scope(session, text, viewer, role)` turns `me | @user | team | all | tier:high | segment:renewal`
into a `Scope`, or raises `ScopeRefused` with a sentence the bot shows ephemerally. CSMs see their own
book, managers their team (everyone whose `slack_users.manager_slack_id` is them, and their own book),
admins everything. `tier:` and `segment:` narrow the viewer's default book.

A user's book is the accounts whose `csm_assignments` owner is them, plus the accounts with no owner
assignment whose CRM owner is their `slack_users.crm_owner_id` (the same rule routing uses).
`restrict(query, scope, today)` narrows any query over accounts to the scope (joins and filters, no
loops); `account_ids(scope, today)` is that as a SELECT of ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, exists, literal, or_, select, true, union
from sqlalchemy.orm import Session, aliased

from bot.permissions import Role
from plays.segments import SegmentConfig, load_segment_config, touch_tier
from store.models import Account, CsmAssignment, SlackUser

TIERS = ("high", "mid", "tech")
_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])
RENEWAL_SEGMENT_DAYS = 180


class ScopeRefused(Exception):
    """The viewer may not see this scope, or it names nobody we know. The message is user-facing."""


@dataclass(frozen=True)
class Scope:
    label: str  # plain words for the response: "book", "team", "whole book", "team, tier: high"
    owners: frozenset[str] | None  # Slack user ids whose books are included; None = every account
    tier: str | None = None
    renewal_within_days: int | None = None
    user_id: str | None = None  # whose book or team (the message shows it as a mention)
    crm_owner_ids: frozenset[str] = frozenset()  # the owners' CRM owner ids: build with `book_scope`


def book_scope(session: Session, label: str, owners: frozenset[str], user_id: str) -> Scope:
    """A scope over these users' books, with their CRM owner ids looked up once: literal values let
    the database use the accounts.crm_owner_id index (a subquery there was planned as a full scan)."""
    # An account's CRM owner is a user's CRM owner id or their email, as in alert routing.
    rows = session.execute(
        select(SlackUser.crm_owner_id, SlackUser.email).where(SlackUser.slack_user_id.in_(sorted(owners)))
    )
    crm_owner_ids = frozenset(value for row in rows for value in row if value)
    return Scope(label, owners, user_id=user_id, crm_owner_ids=crm_owner_ids)


@cache
def _segments() -> SegmentConfig:
    """The segment config the plays use (`plays/config/segments.yml`): /portfolio and /account name
    the touch tiers the alerts were routed by, with the same ARR floors."""
    return load_segment_config()


def tier_for(arr: Decimal | float | None) -> str:
    """The touch tier of one ARR figure, in Python (the same bands as `tier_expr`)."""
    return touch_tier(float(arr) if arr is not None else None, _segments())


def tier_expr(arr_column: Any = Account.arr) -> Any:
    """SQL CASE giving the touch tier from ARR (unknown ARR: the lowest tier), as `tier_for`."""
    floors = _segments().tier_floors
    return case(
        *((arr_column >= floor, literal(name)) for name, floor in floors[:-1]),
        else_=literal(floors[-1][0]),
    )


def _tier_filter(tier: str) -> Any:
    """ARR within the tier's band, as range conditions the accounts.arr values can be compared by."""
    floors = _segments().tier_floors
    names = [name for name, _ in floors]
    i = names.index(tier)
    conditions = []
    if i < len(floors) - 1:
        conditions.append(Account.arr >= floors[i][1])
    if i > 0:
        below = Account.arr < floors[i - 1][1]
        conditions.append(below if i < len(floors) - 1 else or_(below, Account.arr.is_(None)))
    return and_(*conditions) if conditions else true()


def restrict(query: _Q, scope: Scope, today: date) -> _Q:
    """Narrow a query that selects FROM accounts to the scope's live accounts."""
    query = query.where(Account.is_deleted.is_(False))
    if scope.owners is not None:
        query = query.where(Account.id.in_(_book_of(scope.owners, scope.crm_owner_ids)))
    if scope.tier is not None:
        query = query.where(_tier_filter(scope.tier))
    if scope.renewal_within_days is not None:
        query = query.where(
            Account.renewal_date >= today,
            Account.renewal_date <= today + timedelta(days=scope.renewal_within_days),
        )
    return query


def _book_of(owners: frozenset[str], crm_owner_ids: frozenset[str]) -> Any:
    """Account ids owned by these users, as a UNION of two index-driven branches (an OR in the outer
    query would scan every account): owner assignments, and unassigned accounts of their CRM owner ids."""
    assigned = select(CsmAssignment.account_id).where(
        CsmAssignment.role == "owner", CsmAssignment.slack_user_id.in_(sorted(owners))
    )
    if not crm_owner_ids:
        return assigned
    other, owner = aliased(Account), aliased(CsmAssignment)
    unassigned = select(other.id).where(
        other.crm_owner_id.in_(sorted(crm_owner_ids)),
        ~exists().where(owner.account_id == other.id, owner.role == "owner").correlate(other),
    )
    return union(assigned, unassigned)


def account_ids(scope: Scope, today: date) -> Select[Any]:
    """SELECT accounts.id for the scope (live accounts only)."""
    return restrict(select(Account.id), scope, today)


def team_of(session: Session, manager_id: str) -> frozenset[str]:
    """The manager and everyone reporting to them (directly)."""
    reports = session.scalars(select(SlackUser.slack_user_id).where(SlackUser.manager_slack_id == manager_id))
    return frozenset({manager_id, *reports})


_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$|^@?([A-Z0-9]{5,})$")


def _default(session: Session, viewer: str, role: Role) -> Scope:
    if role is Role.ADMIN:
        return Scope("whole book", None)
    if role is Role.MANAGER:
        return book_scope(session, "team", team_of(session, viewer), viewer)
    return book_scope(session, "book", frozenset({viewer}), viewer)


def resolve_scope(session: Session, text: str, viewer: str, role: Role) -> Scope:
    """Parse the `/portfolio` argument and check the viewer may see it. Raises ScopeRefused."""
    arg = text.strip()
    if arg in ("", "default"):
        return _default(session, viewer, role)
    if arg == "me":
        return book_scope(session, "book", frozenset({viewer}), viewer)
    if arg == "team":
        if role is Role.CSM:
            raise ScopeRefused("`/portfolio team` is for managers; try `/portfolio me`.")
        return book_scope(session, "team", team_of(session, viewer), viewer)
    if arg == "all":
        if role is not Role.ADMIN:
            raise ScopeRefused("`/portfolio all` (the whole book) is for admins; try `/portfolio team`.")
        return Scope("whole book", None)
    if arg.startswith("tier:"):
        tier = arg.removeprefix("tier:")
        if tier not in TIERS:
            raise ScopeRefused(f"Unknown tier `{tier}`: use tier:high, tier:mid or tier:tech.")
        base = _default(session, viewer, role)
        return replace(base, label=f"{base.label}, tier: {tier}", tier=tier)
    if arg.startswith("segment:"):
        segment = arg.removeprefix("segment:")
        if segment != "renewal":
            raise ScopeRefused(f"Unknown segment `{segment}`: use segment:renewal.")
        base = _default(session, viewer, role)
        return replace(
            base, label=f"{base.label}, segment: renewal", renewal_within_days=RENEWAL_SEGMENT_DAYS
        )
    match = _MENTION.match(arg)
    if match is None:
        raise ScopeRefused(
            "Usage: `/portfolio [me|@user|team|all|tier:high|tier:mid|tier:tech|segment:renewal]`."
        )
    user_id = match.group(1) or match.group(2)
    if session.get(SlackUser, user_id) is None:
        raise ScopeRefused(f"<@{user_id}> is not set up in retainer (no CRM owner or accounts).")
    if user_id != viewer:
        if role is Role.CSM:
            raise ScopeRefused("CSMs see their own book only; managers see their team's.")
        if role is Role.MANAGER and user_id not in team_of(session, viewer):
            raise ScopeRefused(f"<@{user_id}> is not on your team.")
    return book_scope(session, "book", frozenset({user_id}), user_id)
