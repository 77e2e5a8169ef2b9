"""Full rescore + trigger evaluation over N accounts, and an incremental pass over the changed ones.

    python -m benchmarks.rescore --accounts 100000 [--changed 10000] [--workers N]
                                 [--database-url URL [--reuse]]

Loads the synthetic portfolio (accounts, contacts, roles, deals, tickets, NPS, and the last 9 weeks of
usage: all the scoring window reads) into a fresh store (on PostgreSQL followed by VACUUM ANALYZE, as
autovacuum would), then measures in the same run:
  baseline         one count(*) scan of each table the pass reads (the rows it reads, nothing else)
  score+evaluate   set-based reads + health + segments + triggers for every account, no writes: in
                   this process, then split by id range across `--workers` worker processes (started
                   before timing, as in the running bot; default one per core, at most 4)
  check (first)    run_check with the workers: the above + snapshots, alerts and audit events written
  check (steady)   run_check again: dedup refreshes, no new snapshots; in-process, then with workers
  incremental      run_check over `--changed` accounts only (in-process: too few to split)
and prints seconds and the ratio of each to the baseline, plus this process's CPU seconds (on SQLite all
the work runs in-process, so CPU time is the figure that survives a busy machine) and the load average.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.progress import track
from sqlalchemy import Engine, delete, func, select

from benchmarks.common import open_store, peak_rss_mib, report
from bot.services.check import EngineConfig, gc_paused, run_check, score_all
from bot.services.scoring_pool import ScoringPool, auto_workers, shard_bounds
from bot.services.signals import build_signals
from plays.catalog import load_catalog
from plays.clock import FakeClock
from sandbox.portfolio import DEFAULT_AS_OF, generate
from sandbox.store_loader import load_portfolio
from store.models import (
    Account,
    Alert,
    AlertEvent,
    Contact,
    HealthSnapshot,
    NpsResponse,
    Silence,
    StakeholderRole,
    Ticket,
    UsageDaily,
)
from store.scoring_inputs import fetch_inputs
from store.uow import unit_of_work

USAGE_WEEKS = 9


def _load(engine: Engine, accounts: int, seed: int) -> None:
    stream = track(generate(accounts, seed=seed), total=accounts, description="loading", transient=True)
    load_portfolio(engine, stream, usage_since=DEFAULT_AS_OF - timedelta(weeks=USAGE_WEEKS))


def _analyze(engine: Engine) -> None:
    """On PostgreSQL, what autovacuum does to a live database: planner statistics and the visibility
    map (index-only scans), so a freshly loaded store is not measured with default estimates."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _baseline(engine: Engine) -> float:
    start = time.perf_counter()
    with unit_of_work(engine) as session:
        for model in (Account, Contact, StakeholderRole, Ticket, NpsResponse, UsageDaily):
            session.scalar(select(func.count()).select_from(model))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0: one per core, <= 4)")
    parser.add_argument(
        "--database-url", default=None, help="an empty database (default: a fresh SQLite file)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="if --database-url already holds the N accounts, skip loading (clears alerts, snapshots)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        engine, present = open_store(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        if args.reuse and present == args.accounts:
            with unit_of_work(engine) as session:
                for model in (AlertEvent, Silence, Alert, HealthSnapshot):
                    session.execute(delete(model))
        if not (args.reuse and present == args.accounts):
            _load(engine, args.accounts, args.seed)
        _analyze(engine)
        load_s = time.perf_counter() - started
        config = EngineConfig(load_catalog())
        clock = FakeClock(
            datetime.combine(DEFAULT_AS_OF, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        )

        baseline = min(_baseline(engine) for _ in range(3))

        start, cpu = time.perf_counter(), time.process_time()
        with unit_of_work(engine) as session, gc_paused():
            rows = fetch_inputs(session, DEFAULT_AS_OF)
            read_s = time.perf_counter() - start
            hits = len(score_all(build_signals(rows), config, rows, clock.now())[0])
        compute_s, compute_cpu = time.perf_counter() - start, time.process_time() - cpu

        pool = ScoringPool(engine.url.render_as_string(hide_password=False), args.workers or auto_workers())
        start = time.perf_counter()
        pool.warm()
        warm_s = time.perf_counter() - start
        parallel_runs = []
        for _ in range(2):  # the first on the workers' new connections, then as in the running bot
            start = time.perf_counter()
            bounds = shard_bounds(engine, pool.workers) or [(None, None)]
            parallel = pool.collect(pool.submit(config, DEFAULT_AS_OF, clock.now(), bounds))
            parallel_runs.append(time.perf_counter() - start)
            assert parallel is not None and len(parallel.hits) == hits
        first_parallel_s, parallel_s = parallel_runs

        cpu = time.process_time()
        first = run_check(engine, config, clock, pool=pool)
        first_cpu = time.process_time() - cpu
        clock.advance(minutes=60)
        cpu = time.process_time()
        steady = run_check(engine, config, clock)
        steady_cpu = time.process_time() - cpu
        clock.advance(minutes=60)
        steady_pool = run_check(engine, config, clock, pool=pool)
        pool.close()
        with unit_of_work(engine) as session:
            ids = list(session.scalars(select(Account.id).order_by(Account.crm_id).limit(args.changed)))
        clock.advance(minutes=60)
        cpu = time.process_time()
        incremental = run_check(engine, config, clock, account_ids=ids)
        incremental_cpu = time.process_time() - cpu
        engine.dispose()

    report(
        f"rescore + trigger evaluation ({engine.dialect.name}, {args.accounts:,} accounts)",
        {
            "load (s, not timed below)": load_s,
            "baseline: count(*) scans (s)": baseline,
            "score+evaluate: reads (s)": read_s,
            "score+evaluate: total (s)": compute_s,
            "score+evaluate / baseline": compute_s / baseline,
            "score+evaluate: CPU of this process (s)": compute_cpu,
            "hits": hits,
            f"workers started (s, not timed below; {pool.workers} workers)": warm_s,
            f"score+evaluate, {pool.workers} workers, their first pass (s)": first_parallel_s,
            f"score+evaluate, {pool.workers} workers (s)": parallel_s,
            f"score+evaluate, {pool.workers} workers / baseline": parallel_s / baseline,
            f"check first pass, {pool.workers} workers (s)": first.seconds,
            "check first / baseline": first.seconds / baseline,
            "check first: CPU of this process (s)": first_cpu,
            "  alerts fired": first.fired,
            "  snapshots written": first.snapshots_written,
            "check steady pass (s)": steady.seconds,
            "check steady / baseline": steady.seconds / baseline,
            "check steady: CPU of this process (s)": steady_cpu,
            f"check steady pass, {pool.workers} workers (s)": steady_pool.seconds,
            f"incremental check, {len(ids):,} accounts (s)": incremental.seconds,
            "incremental / baseline": incremental.seconds / baseline,
            "incremental: CPU of this process (s)": incremental_cpu,
            "machine load average (1 min)": os.getloadavg()[0],
            "peak RSS (MiB)": peak_rss_mib(),
        },
    )


if __name__ == "__main__":
    main()
