"""Profile coverage: the share of live accounts, per CRM source, that each signal covers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Account, Contract, NpsResponse, StakeholderRole, Ticket, UsageDaily

SIGNALS = (
    "usage (28 days)",
    "nps (1 year)",
    "contracts (current)",
    "tickets (1 year)",
    "stakeholders (current)",
)


def coverage(session: Session, today: date) -> dict[str, dict[str, float | int]]:
    """source -> {"accounts": n, signal: percent of those accounts with that signal}."""
    live = Account.is_deleted.is_(False)
    totals = dict(
        session.execute(select(Account.source, func.count()).where(live).group_by(Account.source)).all()
    )
    year_ago = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=365)
    queries = {
        "usage (28 days)": select(UsageDaily.account_id).where(UsageDaily.day > today - timedelta(days=28)),
        "nps (1 year)": select(NpsResponse.account_id).where(NpsResponse.responded_at >= year_ago),
        "contracts (current)": select(Contract.account_id).where(
            Contract.end_date >= today, Contract.status != "cancelled"
        ),
        "tickets (1 year)": select(Ticket.account_id).where(Ticket.opened_at >= year_ago),
        "stakeholders (current)": select(StakeholderRole.account_id).where(
            StakeholderRole.valid_to.is_(None)
        ),
    }
    out: dict[str, dict[str, float | int]] = {src: {"accounts": n} for src, n in totals.items()}
    for name, sub in queries.items():
        covered = sub.subquery()
        query = (
            select(Account.source, func.count(Account.id.distinct()))
            .join(covered, covered.c.account_id == Account.id)
            .where(live)
            .group_by(Account.source)
        )
        found = dict(session.execute(query).all())
        for src, n in totals.items():
            out[src][name] = round(100 * found.get(src, 0) / n, 1) if n else 0.0
    return out
