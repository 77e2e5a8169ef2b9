"""Whole-history reads for the backtest: one ordered query per table, streamed into per-account lists."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Account, Contact, Deal, NpsResponse, StakeholderRole, Ticket, UsageDaily


def load_history(session: Session, since: date) -> dict[str, Any]:
    """Accounts, deals, and usage/tickets/NPS/roles grouped by account (usage from `since` on)."""
    accounts = list(
        session.execute(
            select(Account.id, Account.arr, Account.contract_start, Account.renewal_date).where(
                Account.is_deleted.is_(False)
            )
        )
    )
    deals: dict[str, list[Any]] = defaultdict(list)
    for d in session.execute(
        select(Deal.account_id, Deal.kind, Deal.close_date, Deal.is_closed, Deal.is_won).where(
            Deal.is_deleted.is_(False), Deal.close_date.is_not(None)
        )
    ):
        deals[d.account_id].append(d)
    usage: dict[str, list[Any]] = defaultdict(list)
    for u in session.execute(
        select(
            UsageDaily.account_id,
            UsageDaily.day,
            func.coalesce(UsageDaily.weekly_active_users, UsageDaily.active_users).label("active"),
            UsageDaily.key_feature_events,
            UsageDaily.licensed_seats,
        )
        .where(UsageDaily.day >= since)
        .order_by(UsageDaily.account_id, UsageDaily.day)
    ):
        usage[u.account_id].append(u)
    tickets: dict[str, list[Any]] = defaultdict(list)
    for t in session.execute(
        select(Ticket.account_id, Ticket.opened_at, Ticket.priority)
        .where(Ticket.is_deleted.is_(False))
        .order_by(Ticket.account_id, Ticket.opened_at)
    ):
        tickets[t.account_id].append(t)
    nps: dict[str, list[Any]] = defaultdict(list)
    for n in session.execute(
        select(
            NpsResponse.account_id, NpsResponse.responded_at, NpsResponse.score, NpsResponse.external_id
        ).order_by(NpsResponse.account_id, NpsResponse.responded_at, NpsResponse.id)
    ):
        nps[n.account_id].append(n)
    roles: dict[str, list[Any]] = defaultdict(list)
    for sr in session.execute(
        select(
            StakeholderRole.account_id,
            StakeholderRole.contact_id,
            StakeholderRole.role,
            StakeholderRole.valid_from,
            StakeholderRole.valid_to,
            Contact.left_company_at,
        )
        .join(Contact, Contact.id == StakeholderRole.contact_id)
        .where(Contact.is_deleted.is_(False))
    ):
        roles[sr.account_id].append(sr)
    return {
        "accounts": accounts,
        "deals": deals,
        "usage": usage,
        "tickets": tickets,
        "nps": nps,
        "roles": roles,
    }
