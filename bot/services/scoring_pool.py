"""A full rescore split across worker processes: each reads and scores one id range of the portfolio.

Scoring is CPU-bound Python, so threads would share one interpreter lock; worker processes each read
their shard's inputs on their own connection (set-based queries restricted to an id range, an index
range scan), score, segment and evaluate it with the pure engine, and send back the hits, snapshot
rows, tiers and band counts. The parent meanwhile sweeps the open alerts, then plans and writes as
before, in its one transaction. Measured on 100k accounts (`benchmarks/rescore.py`), two workers on
two cores score and evaluate in about 60% of the in-process time; more cores divide it further.

Workers are spawned (never forked: the bot has threads running) once and kept; the first pass pays
their start. Small portfolios are scored in-process (`MIN_ACCOUNTS`), and if a worker dies the pass
falls back to scoring in-process and the next pass starts fresh workers.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Engine, func, select

from store.id_sets import IdRange
from store.models import Account
from store.uow import unit_of_work

if TYPE_CHECKING:
    from bot.services.check import EngineConfig
    from plays.triggers import Hit

log = structlog.get_logger(__name__)

MIN_ACCOUNTS = 20_000  # below this a pass is a second or less in-process: not worth the round trip
MAX_AUTO_WORKERS = 4


def auto_workers() -> int:
    """Workers for `RESCORE_WORKERS=0`: the cores this process may use, at most MAX_AUTO_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_WORKERS, cores))


def pool_for(engine: Engine, workers: int) -> ScoringPool | None:
    """Worker processes for `engine`'s full passes (`workers` 0: `auto_workers()`), or None when one
    process is asked for or the store is an in-memory SQLite database other processes cannot open."""
    workers = workers or auto_workers()
    url = engine.url
    if workers < 2 or (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")):
        return None
    return ScoringPool(url.render_as_string(hide_password=False), workers)


@dataclass
class Scored:
    """What scoring a set of accounts produced (one shard, or all of them merged)."""

    accounts: int = 0
    hits: list[Hit] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)
    bands: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Scored) -> None:
        self.accounts += other.accounts
        self.hits.extend(other.hits)
        self.snapshots.extend(other.snapshots)
        self.tiers.update(other.tiers)
        self.bands.update(other.bands)


_engines: dict[str, Engine] = {}  # in a worker: one engine per database URL, kept between passes


def score_shard(url: str, config: EngineConfig, as_of: date, now: datetime, bounds: IdRange) -> Scored:
    """Worker body: read, score and evaluate the accounts whose id lies in `bounds`."""
    from bot.services.check import gc_paused, score_all
    from bot.services.signals import build_signals
    from store.db import make_engine
    from store.scoring_inputs import fetch_inputs

    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    with unit_of_work(engine) as session, gc_paused():
        rows = fetch_inputs(session, as_of, id_range=bounds)
        hits, snapshots, tiers, bands = score_all(build_signals(rows), config, rows, now)
    return Scored(len(rows.accounts), hits, snapshots, tiers, bands)


def _ready() -> int:
    """Worker warm-up: import what `score_shard` needs, so the first pass does not pay for it."""
    for module in ("bot.services.check", "bot.services.signals", "store.db", "store.scoring_inputs"):
        importlib.import_module(module)
    return os.getpid()


def shard_bounds(engine: Engine, shards: int) -> list[IdRange] | None:
    """`shards` id ranges holding about as many live accounts each, or None when the portfolio is too
    small to be worth splitting."""
    live = Account.is_deleted.is_(False)
    with unit_of_work(engine) as session:
        total = session.scalar(select(func.count()).select_from(Account).where(live)) or 0
        if shards < 2 or total < MIN_ACCOUNTS:
            return None
        size = -(-total // shards)
        cuts = [
            session.scalar(select(Account.id).where(live).order_by(Account.id).offset(k * size).limit(1))
            for k in range(1, shards)
        ]
    edges: list[str | None] = [None, *(c for c in cuts if c is not None), None]
    return [(edges[i], edges[i + 1]) for i in range(len(edges) - 1)]


class ScoringPool:
    """Worker processes for full passes over one database. Thread-safe; `close()` stops them."""

    def __init__(self, url: str, workers: int) -> None:
        self.url = url
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
            return self._executor

    def warm(self) -> set[int]:
        """Start the workers now, so the first pass does not wait for them; their process ids."""
        pool = self._pool()
        return {f.result() for f in [pool.submit(_ready) for _ in range(self.workers * 2)]}

    def submit(
        self, config: EngineConfig, as_of: date, now: datetime, bounds: list[IdRange]
    ) -> list[Future[Scored]]:
        """One task per id range. A pool broken since the last pass (a worker died) is replaced."""
        for attempt in (1, 2):
            pool = self._pool()
            try:
                return [pool.submit(score_shard, self.url, config, as_of, now, b) for b in bounds]
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                log.warning("rescore.workers_replaced")
                self._reset()
        raise AssertionError("unreachable")

    def collect(self, futures: list[Future[Scored]]) -> Scored | None:
        """The shards' results merged, or None if a worker died (the caller scores in-process)."""
        merged = Scored()
        try:
            for f in futures:
                merged.merge(f.result())
        except BrokenProcessPool as exc:
            log.warning("rescore.workers_failed", error=str(exc))
            self._reset()
            return None
        return merged

    def _reset(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
