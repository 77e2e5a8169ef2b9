"""A full pass scored in worker processes by id range gives exactly what the in-process pass gives, on
SQLite and PostgreSQL; a dead worker makes the pass score in-process instead of failing."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.services import scoring_pool
from bot.services.check import EngineConfig, _score_here, run_check
from bot.services.scoring_pool import MAX_AUTO_WORKERS, Scored, ScoringPool, pool_for, shard_bounds
from plays.catalog import load_catalog
from plays.clock import FakeClock
from sandbox.portfolio import DEFAULT_AS_OF, generate
from sandbox.store_loader import load_portfolio
from store.db import make_engine
from store.models import Account, Alert, HealthSnapshot
from store.uow import unit_of_work

NOW = datetime.combine(DEFAULT_AS_OF, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
CONFIG = EngineConfig(load_catalog())


@pytest.fixture
def pool(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScoringPool]:
    monkeypatch.setattr(scoring_pool, "MIN_ACCOUNTS", 1)  # split even this small portfolio
    load_portfolio(engine, generate(150, seed=5))
    workers = ScoringPool(engine.url.render_as_string(hide_password=False), workers=2)
    try:
        yield workers
    finally:
        workers.close()


def _canonical(scored: Scored) -> tuple[Any, ...]:
    hits = sorted((h.fingerprint, h.play_id, h.reason, h.severity, repr(h.details)) for h in scored.hits)
    snaps = sorted(
        (s["account_id"], s["score"], s["band"], repr(s["components"]), repr(s["drivers"]))
        for s in scored.snapshots
    )
    return scored.accounts, hits, snaps, sorted(scored.tiers.items()), sorted(scored.bands.items())


def test_shards_cover_every_account_once(engine: Engine, pool: ScoringPool) -> None:
    bounds = shard_bounds(engine, 3)
    assert bounds is not None and len(bounds) == 3
    assert bounds[0][0] is None and bounds[-1][1] is None
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(2))
    scored = pool.collect(pool.submit(CONFIG, DEFAULT_AS_OF, NOW, bounds))
    assert scored is not None and scored.accounts == 150 and len(scored.tiers) == 150


def test_workers_score_exactly_what_the_pass_scores_in_process(engine: Engine, pool: ScoringPool) -> None:
    bounds = shard_bounds(engine, pool.workers)
    assert bounds is not None
    parallel = pool.collect(pool.submit(CONFIG, DEFAULT_AS_OF, NOW, bounds))
    with unit_of_work(engine) as session:
        here = _score_here(session, CONFIG, NOW, None)
    assert parallel is not None and here.hits
    assert _canonical(parallel) == _canonical(here)


def test_a_check_with_workers_writes_alerts_and_snapshots_once(engine: Engine, pool: ScoringPool) -> None:
    clock = FakeClock(NOW)
    first = run_check(engine, CONFIG, clock, pool=pool)
    assert first.accounts == 150 and first.fired > 0 and first.snapshots_written == 150
    clock.advance(minutes=60)
    again = run_check(engine, CONFIG, clock, pool=pool)
    assert again.fired == 0 and again.refreshed == first.fired and again.snapshots_written == 0
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == first.fired
        assert session.scalar(select(func.count()).select_from(HealthSnapshot)) == 150


def _break(pool: ScoringPool) -> None:
    """A worker dies (as under the OOM killer): the pool is broken from then on."""
    died = pool._pool().submit(os._exit, 1)
    with pytest.raises(BrokenProcessPool):
        died.result(timeout=30)


def test_a_pass_after_a_worker_died_gets_fresh_workers(engine: Engine, pool: ScoringPool) -> None:
    pool.warm()
    _break(pool)
    summary = run_check(engine, CONFIG, FakeClock(NOW), pool=pool)
    assert summary.accounts == 150 and summary.fired > 0 and summary.snapshots_written == 150


def test_a_worker_dying_mid_pass_leaves_the_shards_to_this_process(engine: Engine, pool: ScoringPool) -> None:
    bounds = shard_bounds(engine, pool.workers)
    assert bounds is not None
    pids = pool.warm()
    busy = [pool._pool().submit(time.sleep, 30) for _ in pids]  # every worker busy: the shards queue
    shards = pool.submit(CONFIG, DEFAULT_AS_OF, NOW, bounds)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert pool.collect(shards) is None  # run_check then scores in-process (`_score_here`)
    assert all(isinstance(f.exception(timeout=30), BrokenProcessPool) for f in busy)
    assert pool.warm()  # and the next pass starts fresh workers


def test_small_portfolios_are_not_split(engine: Engine) -> None:
    load_portfolio(engine, generate(20, seed=5))
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 20
    assert shard_bounds(engine, 4) is None  # under MIN_ACCOUNTS


def test_pool_for_honours_the_setting_and_skips_in_memory_stores(tmp_path: Path) -> None:
    on_disk = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert pool_for(on_disk, 1) is None  # RESCORE_WORKERS=1: in-process
    three = pool_for(on_disk, 3)
    assert three is not None and three.workers == 3 and three.url.endswith("x.db")
    auto = pool_for(on_disk, 0)
    assert (auto.workers if auto else 1) == min(MAX_AUTO_WORKERS, len(os.sched_getaffinity(0)))
    assert pool_for(make_engine("sqlite://"), 4) is None
