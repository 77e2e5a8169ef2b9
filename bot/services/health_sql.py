"""Set-based "each account's latest health snapshot (optionally as of a day)", in the form each backend
runs fastest, measured on 100k accounts (`benchmarks/portfolio_query.py`):

- SQLite: a correlated `ORDER BY computed_at DESC LIMIT 1` lookup per account, walking the
  (account_id, computed_at) index. A ROW_NUMBER() window is materialised without an index there.
- PostgreSQL: one `DISTINCT ON (account_id)` pass over the snapshots, hash-joined to the accounts. A
  correlated lookup in a join condition becomes a per-row SubPlan there and is many times slower.

`join_latest(query, dialect, ...)` adds the join to a query over accounts and returns the snapshot
alias whose columns (score, band, drivers, as_of...) the query can select.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased

from store.models import Account, HealthSnapshot

BANDS = ("healthy", "watch", "at_risk", "critical")
AT_RISK_BANDS = ("at_risk", "critical")
UNSCORED = "unscored"

_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


def join_latest(
    query: _Q,
    dialect: str,
    *,
    as_of: date | None = None,
    account_ids: Select[Any] | None = None,
    outer: bool = True,
) -> tuple[_Q, type[HealthSnapshot]]:
    """Join each account (of `query`, which selects FROM accounts) to its newest snapshot, optionally
    among those with `as_of` on or before a day. `account_ids` (a SELECT of ids) lets PostgreSQL scan
    only those accounts' snapshots. Accounts without one are kept (`outer`) or dropped."""
    snap = aliased(HealthSnapshot)
    if dialect == "postgresql":
        pick = aliased(HealthSnapshot)
        newest = select(pick.account_id, pick.id).ext(distinct_on(pick.account_id))
        if as_of is not None:
            newest = newest.where(pick.as_of <= as_of)
        if account_ids is not None:
            newest = newest.where(pick.account_id.in_(account_ids))
        ids = newest.order_by(pick.account_id.desc(), pick.computed_at.desc(), pick.id.desc()).subquery()
        joined = query.join(ids, ids.c.account_id == Account.id, isouter=outer).join(
            snap, snap.id == ids.c.id, isouter=outer
        )
        return joined, snap
    lookup = aliased(HealthSnapshot)
    newest_id = select(lookup.id).where(lookup.account_id == Account.id)
    if as_of is not None:
        newest_id = newest_id.where(lookup.as_of <= as_of)
    newest_id = newest_id.order_by(lookup.computed_at.desc(), lookup.id.desc()).limit(1)
    return query.join(snap, snap.id == newest_id.correlate(Account).scalar_subquery(), isouter=outer), snap
