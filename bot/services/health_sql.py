"""Set-based building blocks over `health_snapshots`: "each account's latest snapshot (optionally as of a
day)" as a correlated `ORDER BY computed_at DESC LIMIT 1` lookup that walks the (account_id, computed_at)
index once per account. It runs the same on SQLite and PostgreSQL; a ROW_NUMBER() window over all
snapshots was measured far slower on SQLite, which cannot index the materialised window result."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import aliased

from store.models import HealthSnapshot

BANDS = ("healthy", "watch", "at_risk", "critical")
AT_RISK_BANDS = ("at_risk", "critical")
UNSCORED = "unscored"


def latest_snapshot_id(account_id: Any, as_of: date | None = None) -> ScalarSelect[Any]:
    """The id of the newest snapshot of the account `account_id` (a column of the outer query),
    optionally among those with `as_of` on or before a day. Join with
    `outerjoin(snap, snap.id == latest_snapshot_id(Account.id))`."""
    snap = aliased(HealthSnapshot)
    query = select(snap.id).where(snap.account_id == account_id)
    if as_of is not None:
        query = query.where(snap.as_of <= as_of)
    return (
        query.order_by(snap.computed_at.desc(), snap.id.desc())
        .limit(1)
        .correlate_except(snap)
        .scalar_subquery()
    )
