"""Reconciliation after a complete full sync: CRM rows the CRM no longer returns are marked deleted.

Incremental syncs learn of deletions only from what the CRM still reports (Salesforce's `queryAll`
sees a deleted record while it is in the recycle bin, about 15 days; HubSpot lists archived records).
A record purged, hard-deleted, merged away or hidden from the integration user never comes back, so
its row would stay live forever. A full run rewrites every row it reads (`synced_at` at or after the
run's start); a live row of that source still older than the start was not read, and is marked
`is_deleted` here. Rows of records the run read but rejected (`keep`) are left alone: the record
exists, only its values were unusable.

A full run that returns far fewer rows than the store holds is more likely a permission or
configuration change than a mass deletion, so the sweep refuses to delete more than
`max(limit_fraction * live rows, limit_floor)` rows and says so; an admin who really deleted that
much runs the full sync again allowing it (`--allow-mass-delete`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func, select, update

from store.base import Base, table_of
from store.id_sets import in_ids
from store.models import StakeholderRole
from store.types import utcnow
from store.uow import unit_of_work

LIMIT_FRACTION = 0.10  # of the source's live rows in the table
LIMIT_FLOOR = 10  # rows: a small portfolio may lose a few records in a week


@dataclass(frozen=True)
class SweepResult:
    table: str
    stale: int  # live rows the run did not read
    live: int  # live rows of the source before the sweep (counted only when some were not read)
    deleted: int  # rows marked deleted, or spells closed (0 when refused)
    refused: bool
    done_to_them: str = "marked deleted"
    rows: str = "live"  # which rows count: live ones, or open spells

    def refusal(self) -> str:
        return (
            f"the full sync did not see {self.stale:,} of {self.live:,} {self.rows} {self.table} rows; "
            f"more than {LIMIT_FRACTION:.0%} looks like lost access rather than deletions, so none "
            f"were {self.done_to_them} (check the integration user's access, or run the full sync "
            "again with --allow-mass-delete)"
        )


def _limit(live: int, limit_fraction: float | None) -> float | None:
    return None if limit_fraction is None else max(limit_fraction * live, LIMIT_FLOOR)


def sweep_unseen(
    engine: Engine,
    model: type[Base],
    source: str,
    *,
    before: datetime,
    keep: Collection[str] = (),
    limit_fraction: float | None = LIMIT_FRACTION,
) -> SweepResult:
    """Mark deleted the live `source` rows of `model` last synced before `before` whose `crm_id` is
    not in `keep`, unless there are more than the limit (`limit_fraction=None`: no limit)."""
    table = table_of(model)
    c = table.c
    with unit_of_work(engine) as session:
        conn = session.connection()
        live_rows = (c.source == source) & c.is_deleted.is_(False)
        stale_rows = live_rows & (c.synced_at < before)
        found = conn.execute(select(c.id, c.crm_id).where(stale_rows)).all()
        kept = set(keep)
        stale = [row_id for row_id, crm_id in found if crm_id not in kept]
        if not stale:  # the usual case: no second scan to count the live rows
            return SweepResult(table.name, 0, 0, 0, refused=False)
        live = conn.execute(select(func.count()).select_from(table).where(live_rows)).scalar_one()
        limit = _limit(live, limit_fraction)
        if limit is not None and len(stale) > limit:
            return SweepResult(table.name, len(stale), live, 0, refused=True)
        conn.execute(
            update(table)
            .where(in_ids(c.id, stale, conn.dialect), stale_rows)
            .values(is_deleted=True, synced_at=utcnow())
        )
        return SweepResult(table.name, len(stale), live, len(stale), refused=False)


def close_unseen_spells(
    engine: Engine,
    source: str,
    *,
    seen: Collection[str],
    on: date,
    limit_fraction: float | None = LIMIT_FRACTION,
) -> SweepResult:
    """End on `on` the open stakeholder-role spells of `source` kept under a CRM record id (`crm_id`)
    that the full run did not read (`seen`: every record id it read, deleted ones included): a contact
    role purged from the CRM ends like a deleted one, so its champion's departure is not missed.
    Same limit as `sweep_unseen`, counted against the source's open spells."""
    sr = table_of(StakeholderRole)
    c = sr.c
    with unit_of_work(engine) as session:
        conn = session.connection()
        open_rows = (c.source == source) & c.valid_to.is_(None) & (c.crm_id != "")
        found = conn.execute(select(c.id, c.crm_id).where(open_rows)).all()
        known = set(seen)
        stale = [row_id for row_id, crm_id in found if crm_id not in known]
        limit = _limit(len(found), limit_fraction)
        if limit is not None and len(stale) > limit:
            return SweepResult(sr.name, len(stale), len(found), 0, True, "ended", "open")
        for start in range(0, len(stale), 5_000):  # integer ids: bound in chunks
            conn.execute(
                update(sr).where(c.id.in_(stale[start : start + 5_000]), open_rows).values(valid_to=on)
            )
        return SweepResult(sr.name, len(stale), len(found), len(stale), False, "ended", "open")
