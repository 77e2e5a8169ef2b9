"""Set-based building blocks over `health_snapshots`: each account's latest snapshot, or its latest one
as of a day. Window functions (ROW_NUMBER) that run the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, Subquery, func, select

from store.models import HealthSnapshot

BANDS = ("healthy", "watch", "at_risk", "critical")
AT_RISK_BANDS = ("at_risk", "critical")
UNSCORED = "unscored"


def latest_snapshots(account_ids: Select[Any] | None = None, as_of: date | None = None) -> Subquery:
    """One row per account: its newest snapshot (optionally only those with `as_of` on or before a day).
    Columns: account_id, score, band, drivers, as_of, computed_at."""
    snap = HealthSnapshot
    ranked = select(
        snap.account_id,
        snap.score,
        snap.band,
        snap.drivers,
        snap.as_of,
        snap.computed_at,
        func.row_number()
        .over(partition_by=snap.account_id, order_by=(snap.computed_at.desc(), snap.id.desc()))
        .label("rn"),
    )
    if account_ids is not None:
        ranked = ranked.where(snap.account_id.in_(account_ids))
    if as_of is not None:
        ranked = ranked.where(snap.as_of <= as_of)
    inner = ranked.subquery()
    return (
        select(
            inner.c.account_id,
            inner.c.score,
            inner.c.band,
            inner.c.drivers,
            inner.c.as_of,
            inner.c.computed_at,
        )
        .where(inner.c.rn == 1)
        .subquery()
    )
