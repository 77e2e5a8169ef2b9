"""The stream runner shared by every connector.

A stream yields pages; each page carries canonical rows for one or more tables, the ids it deleted, the
records it rejected, and the cursor *after* the page. The runner writes each page's rows and cursor in
one transaction, so a crash resumes from the last committed page and a page is never half-applied.
Every run is recorded in `sync_runs` with counts and errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import Engine, update
from sqlalchemy.engine import Dialect

from connectors.errors import ConnectorError, RateLimited
from connectors.prefetch import prefetched
from store import sync_repo
from store.base import Base, table_of
from store.sweep import LIMIT_FRACTION, SweepResult
from store.types import utcnow
from store.uow import unit_of_work
from store.upsert import PreparedUpsert, prepare_upsert

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class TableWrite:
    model: type[Base]
    rows: Sequence[dict[str, Any]]
    conflict_columns: tuple[str, ...] = ("id",)
    update_columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Rejection:
    record_id: str
    reason: str
    field: str = ""


@dataclass
class Page:
    writes: list[TableWrite] = field(default_factory=list)
    deletes: dict[type[Base], list[str]] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    records_read: int = 0
    requests_made: int = 0


def merge_pages(pages: list[Page]) -> Page:
    """Several pages as one transaction: rows for the same table and conflict rule in one write.

    A large transaction writes each index page it touches once instead of once per small page (on
    SQLite with random uuid keys that is most of the I/O). Pages must come from one query, which names
    a record at most once, so the order of upserts and deletes across the merged pages cannot matter.
    The order of the merged writes does: see `_stubs_first`."""
    if len(pages) == 1:
        return pages[0]
    merged: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    deletes: dict[type[Base], list[str]] = {}
    for page in pages:
        for w in page.writes:
            merged.setdefault((w.model, w.conflict_columns, w.update_columns), []).extend(w.rows)
        for model, ids in page.deletes.items():
            deletes.setdefault(model, []).extend(ids)
    writes = [TableWrite(model, rows, conflict, update) for (model, conflict, update), rows in merged.items()]
    return Page(
        writes=_stubs_first(writes),
        deletes=deletes,
        rejected=[r for p in pages for r in p.rejected],
        cursor=pages[-1].cursor,
        records_read=sum(p.records_read for p in pages),
        requests_made=sum(p.requests_made for p in pages),
    )


def _stubs_first(writes: list[TableWrite]) -> list[TableWrite]:
    """Insert-only writes (`update_columns == ()`: placeholder parents) before all others, else in order.

    A page writes its placeholder parents before the children that reference them, but merged groups
    are ordered by first appearance: a first page without parent references (all its records deleted)
    would put the children's group first and fail the foreign key check on every run."""
    return sorted(writes, key=lambda w: w.update_columns != ())


class Stream(Protocol):
    """A source of pages. A stream may also define `reconcile(engine, *, before, keep, limit_fraction)
    -> SweepResult`, run after a complete full run: rows it did not rewrite (synced before `before`, and
    not of a record in `keep`, read but rejected) are the CRM's deletions (`store.sweep`)."""

    source: str
    name: str

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]: ...


@dataclass
class RunResult:
    source: str
    stream: str
    status: str
    records_read: int = 0
    records_upserted: int = 0
    records_deleted: int = 0
    records_rejected: int = 0
    requests_made: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "records_read": self.records_read,
            "records_upserted": self.records_upserted,
            "records_deleted": self.records_deleted,
            "records_rejected": self.records_rejected,
            "requests_made": self.requests_made,
        }


def prepare_writes(dialect: Dialect, page: Page) -> list[PreparedUpsert]:
    """The page's upserts as driver-ready statements (done in the reader thread, off the writer's path)."""
    return [
        prepare_upsert(dialect, w.model, w.rows, w.conflict_columns, w.update_columns) for w in page.writes
    ]


def apply_page(
    engine: Engine,
    source: str,
    stream: str,
    page: Page,
    prepared: list[PreparedUpsert] | None = None,
) -> tuple[int, int]:
    """Write one page and its cursor in one transaction. Returns (rows upserted, rows deleted)."""
    upserted = deleted = 0
    if prepared is None:
        prepared = prepare_writes(engine.dialect, page)
    with unit_of_work(engine) as session:
        for statement in prepared:
            upserted += statement.execute(session)
        for model, ids in page.deletes.items():
            if ids:
                table = table_of(model)
                session.execute(
                    update(table).where(table.c.id.in_(ids)).values(is_deleted=True, synced_at=utcnow())
                )
                deleted += len(ids)
        sync_repo.set_cursor(session, source, stream, page.cursor)
    return upserted, deleted


def _prepared(dialect: Dialect, pages: Iterator[Page]) -> Iterator[tuple[Page, list[PreparedUpsert]]]:
    try:
        for page in pages:
            yield page, prepare_writes(dialect, page)
    finally:  # a stopped sync closes the stream's generator (and its HTTP reader) at once
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def run_stream(
    engine: Engine,
    stream: Stream,
    *,
    full: bool = False,
    on_page: Callable[[RunResult], None] | None = None,
    sweep_limit: float | None = LIMIT_FRACTION,
) -> RunResult:
    """Run one stream to its end (or its first unrecoverable error), recording a sync_runs row.

    A full run that reaches the end of its stream then reconciles (`_reconcile`): rows it did not read
    are marked deleted, refusing more than `sweep_limit` of them (None: no limit)."""
    mode = "full" if full else "incremental"
    with unit_of_work(engine) as session:
        if full:
            sync_repo.reset_cursor(session, stream.source, stream.name)
        cursor = sync_repo.get_cursor(session, stream.source, stream.name)
    run_id = sync_repo.start_run(engine, stream.source, stream.name, mode)
    result = RunResult(stream.source, stream.name, status="running")
    clock = getattr(stream, "now", None)  # the clock the stream stamps `synced_at` with, if it has one
    started, started_at = time.perf_counter(), clock() if callable(clock) else utcnow()
    rejected: set[str] = set()
    try:
        # the next page is fetched, mapped and prepared while this one is written (order and errors kept)
        staged = _prepared(engine.dialect, stream.pages(cursor, full=full))
        for page, prepared in prefetched(staged, name=f"{stream.source}-{stream.name}"):
            upserted, deleted = apply_page(engine, stream.source, stream.name, page, prepared)
            result.records_read += page.records_read
            result.records_upserted += upserted
            result.records_deleted += deleted
            result.records_rejected += len(page.rejected)
            result.requests_made += page.requests_made
            result.errors.extend(
                {"record_id": r.record_id, "field": r.field, "error": r.reason} for r in page.rejected
            )
            rejected.update(r.record_id for r in page.rejected)
            if on_page:
                on_page(result)
        if full:
            _reconcile(engine, stream, result, started_at, rejected, sweep_limit)
        result.status = "partial" if result.records_rejected or result.errors else "ok"
    except RateLimited as exc:
        result.status = "partial"
        result.errors.append({"error": str(exc), "kind": "rate_limited", "retry_after": exc.retry_after})
        log.warning("sync.rate_limited", source=stream.source, stream=stream.name, error=str(exc))
    except ConnectorError as exc:
        result.status = "failed"
        result.errors.append({"error": str(exc), "kind": type(exc).__name__})
        log.error("sync.failed", source=stream.source, stream=stream.name, error=str(exc))
        raise
    except Exception as exc:
        result.errors.append({"error": f"{type(exc).__name__}: {exc}", "kind": "internal"})
        raise
    finally:
        result.seconds = time.perf_counter() - started
        if result.status == "running":
            result.status = "failed"
        sync_repo.finish_run(
            engine, run_id, status=result.status, counts=result.counts(), errors=result.errors
        )
    return result


def _reconcile(
    engine: Engine,
    stream: Stream,
    result: RunResult,
    started_at: datetime,
    rejected: set[str],
    limit: float | None,
) -> None:
    """After a complete full run: the stream's `reconcile`, if it has one, and what it did recorded."""
    reconcile = getattr(stream, "reconcile", None)
    if reconcile is None:
        return
    swept: SweepResult = reconcile(engine, before=started_at, keep=rejected, limit_fraction=limit)
    result.records_deleted += swept.deleted
    if swept.refused:
        message = swept.refusal()
        result.errors.append({"error": message, "kind": "sweep_refused"})
        log.warning("sync.sweep_refused", source=stream.source, stream=stream.name, error=message)
    elif swept.deleted:
        log.info("sync.swept", source=stream.source, stream=stream.name, deleted=swept.deleted)


def run_streams(
    engine: Engine,
    streams: Sequence[Stream],
    *,
    full: bool = False,
    on_page: Callable[[RunResult], None] | None = None,
    sweep_limit: float | None = LIMIT_FRACTION,
) -> list[RunResult]:
    """Run `streams` in order. Connector errors (401, exhausted retries) propagate after the failed run
    is recorded; a rate-limited (partial) run stops the rest, which would only hit the limit too."""
    results = []
    for stream in streams:
        result = run_stream(engine, stream, full=full, on_page=on_page, sweep_limit=sweep_limit)
        results.append(result)
        if any(e.get("kind") == "rate_limited" for e in result.errors):
            break
    return results
