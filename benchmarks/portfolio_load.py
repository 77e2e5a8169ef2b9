"""Generate N synthetic accounts and load them into the store; print rows/s, peak RSS and the ratio to
the baseline measured in the same run (generation alone, i.e. the cost of the store path on top).

    python -m benchmarks.portfolio_load --accounts 100000 [--database-url URL] [--no-usage]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.common import peak_rss_mib, report
from sandbox.portfolio import generate
from sandbox.store_loader import account_rows, load_portfolio
from store.db import make_engine
from store.migrate import upgrade
from store.models import Account
from store.uow import unit_of_work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--no-usage", action="store_true", help="skip the weekly usage rows")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)

        from datetime import UTC, datetime

        now = datetime.now(UTC)
        start = time.perf_counter()
        baseline_rows = 0
        for acc in generate(args.accounts, seed=args.seed):
            baseline_rows += sum(len(v) for v in account_rows(acc, "salesforce", now).values())
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        counts = load_portfolio(
            engine, generate(args.accounts, seed=args.seed), include_usage=not args.no_usage
        )
        elapsed = time.perf_counter() - start
        with unit_of_work(engine) as session:
            stored = session.scalar(select(func.count()).select_from(Account))
        assert stored == args.accounts, f"expected {args.accounts} accounts, found {stored}"

    report(
        f"portfolio generate + load ({engine.dialect.name})",
        {
            "accounts": counts.accounts,
            "rows loaded": counts.rows,
            "seconds": elapsed,
            "rows/s": counts.rows / elapsed,
            "accounts/s": counts.accounts / elapsed,
            "baseline: generate + map only (s)": baseline,
            "baseline rows/s": baseline_rows / baseline,
            "ratio to baseline": elapsed / baseline,
            "peak RSS (MiB)": peak_rss_mib(),
        },
    )
    for table, rows in sorted(counts.by_table.items()):
        print(f"  {table:<20} {rows:>12,}")


if __name__ == "__main__":
    main()
