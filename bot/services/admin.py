"""What a CRM admin checks in `/sync` and the CLI: sync health, the write-back outbox, and what the bot
wrote to the CRM.

- `sync_status`: the last run of every source and stream (counts, duration, status, first errors) with
  when it last succeeded, ordered by source and stream.
- `outbox_view`: counts per state and the items waiting (pending), failing (failed, with the CRM's error
  text) or parked (waiting for a person), oldest first.
- `retry_outbox`: puts failed/parked items back in the queue (`store.outbox_repo.retry`).
- `activity_log`: sent write-backs (when, target, kind, account, CRM record id), filterable by account
  and date range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from store import outbox_repo
from store.models import OUTBOX_STATES, Account, OutboxItem, SyncRun

WAITING_STATES = ("pending", "failed", "parked")


@dataclass(frozen=True)
class StreamStatus:
    source: str
    stream: str
    mode: str
    status: str  # running | ok | partial | failed
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    records_read: int
    records_upserted: int
    records_deleted: int
    records_rejected: int
    errors: tuple[Any, ...]  # the first few (each a dict with at least "error")
    error_count: int  # errors recorded for the run (rejected records are also in records_rejected)
    last_ok_at: datetime | None


def sync_status(session: Session, max_errors: int = 3) -> tuple[StreamStatus, ...]:
    """The latest run per (source, stream): one windowed query, plus when each stream last finished ok."""
    ranked = select(
        SyncRun,
        func.row_number()
        .over(partition_by=(SyncRun.source, SyncRun.stream), order_by=(SyncRun.started_at.desc(), SyncRun.id))
        .label("rn"),
    ).subquery()
    run = aliased(SyncRun, ranked)
    latest = session.scalars(select(run).where(ranked.c.rn == 1).order_by(run.source, run.stream)).all()
    last_ok = {
        (source, stream): at
        for source, stream, at in session.execute(
            select(SyncRun.source, SyncRun.stream, func.max(SyncRun.finished_at))
            .where(SyncRun.status == "ok")
            .group_by(SyncRun.source, SyncRun.stream)
        )
    }
    return tuple(
        StreamStatus(
            source=r.source,
            stream=r.stream,
            mode=r.mode,
            status=r.status,
            started_at=r.started_at,
            finished_at=r.finished_at,
            duration_s=(r.finished_at - r.started_at).total_seconds() if r.finished_at else None,
            records_read=r.records_read,
            records_upserted=r.records_upserted,
            records_deleted=r.records_deleted,
            records_rejected=r.records_rejected,
            errors=tuple((r.errors or [])[:max_errors]),
            error_count=len(r.errors or []),
            last_ok_at=last_ok.get((r.source, r.stream)),
        )
        for r in latest
    )


@dataclass(frozen=True)
class OutboxLine:
    id: str
    state: str
    target: str
    kind: str
    account_id: str | None
    account_name: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    crm_record_id: str | None


@dataclass(frozen=True)
class OutboxView:
    counts: tuple[tuple[str, int], ...]  # every state in OUTBOX_STATES, zero included
    items: tuple[OutboxLine, ...]

    def count(self, state: str) -> int:
        return dict(self.counts)[state]


def _lines(session: Session, query: Any) -> tuple[OutboxLine, ...]:
    rows = session.execute(
        query.add_columns(Account.name).outerjoin(Account, Account.id == OutboxItem.account_id)
    )
    return tuple(
        OutboxLine(
            item.id,
            item.state,
            item.target,
            item.kind,
            item.account_id,
            name,
            item.attempts,
            item.last_error,
            item.created_at,
            item.next_attempt_at,
            item.sent_at,
            item.crm_record_id,
        )
        for item, name in rows
    )


def outbox_view(session: Session, states: Sequence[str] = WAITING_STATES, limit: int = 50) -> OutboxView:
    unknown = set(states) - set(OUTBOX_STATES)
    if unknown:
        raise ValueError(f"unknown outbox state(s) {sorted(unknown)}: expected {', '.join(OUTBOX_STATES)}")
    counts: dict[str, int] = {
        state: n
        for state, n in session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state))
    }
    items = _lines(
        session,
        select(OutboxItem)
        .where(OutboxItem.state.in_(list(states)))
        .order_by(OutboxItem.created_at, OutboxItem.id)
        .limit(limit),
    )
    return OutboxView(tuple((s, counts.get(s, 0)) for s in OUTBOX_STATES), items)


@dataclass(frozen=True)
class RetryResult:
    requeued: int
    not_retryable: tuple[str, ...]  # ids asked for that are unknown or not failed/parked


def retry_outbox(session: Session, item_ids: Sequence[str] = ()) -> RetryResult:
    """Requeue the given failed/parked items (all of them when no ids are given)."""
    ids = list(dict.fromkeys(item_ids))
    retryable = set(
        session.scalars(
            select(OutboxItem.id).where(OutboxItem.id.in_(ids), OutboxItem.state.in_(("failed", "parked")))
        )
    )
    if ids and not retryable:
        return RetryResult(0, tuple(ids))
    requeued = outbox_repo.retry(session, sorted(retryable) if ids else None)
    return RetryResult(requeued, tuple(i for i in ids if i not in retryable))


def day_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """A date range as UTC datetimes: from the start of `since` to the end of `until` (inclusive)."""
    start = datetime.combine(since, time(0), UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time(0), UTC) if until else None
    return start, end


def activity_log(
    session: Session,
    *,
    account_ids: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
) -> tuple[OutboxLine, ...]:
    """What the bot wrote to the CRM (sent outbox items), newest first."""
    query = select(OutboxItem).where(OutboxItem.state == "sent")
    if account_ids is not None:
        query = query.where(OutboxItem.account_id.in_(list(account_ids)))
    start, end = day_bounds(since, until)
    if start is not None:
        query = query.where(OutboxItem.sent_at >= start)
    if end is not None:
        query = query.where(OutboxItem.sent_at < end)
    return _lines(session, query.order_by(OutboxItem.sent_at.desc(), OutboxItem.id).limit(limit))
