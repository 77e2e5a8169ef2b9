"""Small helpers shared by the benchmarks: a migrated store, peak RSS and a uniform printout."""

from __future__ import annotations

import resource
import sys

from sqlalchemy import Engine, func, select

from store.db import make_engine
from store.migrate import upgrade
from store.models import Account
from store.uow import unit_of_work


def open_store(url: str) -> tuple[Engine, int]:
    """An engine for `url`, migrated, and how many accounts it already holds (for `--reuse`)."""
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        present = session.scalar(select(func.count()).select_from(Account)) or 0
    return engine, present


def peak_rss_mib() -> float:
    """Peak resident set size of this process, in MiB (Linux reports KiB)."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / 1024 if sys.platform != "darwin" else usage / (1024 * 1024)


def report(title: str, figures: dict[str, object]) -> None:
    print(f"== {title}")
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = (
            f"{value:,.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else value
        )
        print(f"  {key.ljust(width)}  {shown}")
