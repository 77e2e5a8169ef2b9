"""Sync cursors and sync-run records. Cursors are written inside the caller's transaction, beside the
page of data they cover, so a crash resumes from the last committed page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from store.models import SyncRun, SyncState
from store.types import utcnow
from store.uow import unit_of_work
from store.upsert import bulk_upsert


def get_cursor(session: Session, source: str, stream: str) -> dict[str, Any]:
    state = session.get(SyncState, (source, stream))
    return dict(state.cursor) if state else {}


def set_cursor(session: Session, source: str, stream: str, cursor: dict[str, Any]) -> None:
    bulk_upsert(
        session,
        SyncState,
        [{"source": source, "stream": stream, "cursor": cursor, "updated_at": utcnow()}],
        conflict_columns=("source", "stream"),
    )


def reset_cursor(session: Session, source: str, stream: str | None = None) -> None:
    query = session.query(SyncState).filter(SyncState.source == source)
    if stream is not None:
        query = query.filter(SyncState.stream == stream)
    query.delete()


def start_run(engine: Engine, source: str, stream: str, mode: str) -> str:
    with unit_of_work(engine) as session:
        run = SyncRun(source=source, stream=stream, mode=mode, status="running", errors=[])
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    engine: Engine,
    run_id: str,
    *,
    status: str,
    counts: dict[str, int],
    errors: list[dict[str, Any]],
    finished_at: datetime | None = None,
) -> None:
    with unit_of_work(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise LookupError(f"no sync run {run_id}")
        run.status = status
        run.finished_at = finished_at or utcnow()
        for name, value in counts.items():
            setattr(run, name, value)
        # what stopped or limited the run (a rate limit, a refused sweep) first, then the first rejected
        # records: 200 at most (their count is in records_rejected)
        run.errors = ([e for e in errors if "record_id" not in e] + [e for e in errors if "record_id" in e])[
            :200
        ]


def full_sync_due(engine: Engine, source: str, every: timedelta) -> bool:
    """Whether `source`'s last full sync that ran to an end (ok, or partial: rejected records, a
    refused sweep, a rate limit) started `every` ago or more, or never ran; never when `every` is 0."""
    if every <= timedelta(0):
        return False
    with unit_of_work(engine) as session:
        last = session.scalar(
            select(func.max(SyncRun.started_at)).where(
                SyncRun.source == source, SyncRun.mode == "full", SyncRun.status.in_(("ok", "partial"))
            )
        )
    return last is None or utcnow() - last >= every


def latest_runs(session: Session, limit: int = 20) -> list[SyncRun]:
    return list(session.scalars(select(SyncRun).order_by(SyncRun.started_at.desc()).limit(limit)))
