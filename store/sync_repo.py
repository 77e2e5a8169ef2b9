"""Sync cursors and sync-run records. Cursors are written inside the caller's transaction, beside the
page of data they cover, so a crash resumes from the last committed page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
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
        run.errors = errors[:200]  # keep the first 200 errors; the count is in records_rejected


def latest_runs(session: Session, limit: int = 20) -> list[SyncRun]:
    return list(session.scalars(select(SyncRun).order_by(SyncRun.started_at.desc()).limit(limit)))
