"""Time `/portfolio` and `/account` queries on a big store; print ms and the ratio to a plain
`SELECT count(*) FROM accounts` measured in the same run.

    python -m benchmarks.portfolio_query --accounts 100000 [--database-url URL] [--repeat 5]

The store gets the synthetic portfolio (no usage rows), two health snapshots per account (today and a
week earlier, so top movers have work to do), open alerts on ~5% of accounts, Slack users for every
CSM and a manager per 8 CSMs. Statistics are refreshed (ANALYZE) after loading, as a live database's
would be. The figures are medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text

from benchmarks.common import open_store, report
from bot.permissions import Role
from bot.services.account_card import account_card, find_accounts
from bot.services.portfolio import portfolio_summary
from bot.services.scope import Scope, resolve_scope
from sandbox.portfolio import DEFAULT_AS_OF, csm_count_for, generate
from sandbox.store_loader import load_portfolio
from store.models import Account, Alert, HealthSnapshot, SlackUser
from store.uow import unit_of_work

TODAY = DEFAULT_AS_OF
NOW = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=15)
BANDS = ((75, "healthy"), (55, "watch"), (35, "at_risk"), (0, "critical"))
PLAYS = ("usage_decline", "ticket_spike", "nps_detractor", "renewal_risk", "champion_departure")


def _band(score: int) -> str:
    return next(band for floor, band in BANDS if score >= floor)


def seed_signals(engine: Engine, accounts: int, seed: int) -> None:
    """Users, two snapshots per account and open alerts on ~5% of accounts."""
    rng = random.Random(seed)
    csms = csm_count_for(accounts)
    users = [{"slack_user_id": "UADMIN", "role": "admin", "timezone": "UTC", "digest_mode": "realtime"}]
    for m in range(0, csms, 8):
        users.append(
            {"slack_user_id": f"UM{m:03d}", "role": "manager", "timezone": "UTC", "digest_mode": "realtime"}
        )
    for c in range(csms):
        users.append(
            {
                "slack_user_id": f"U{c:03d}",
                "role": "csm",
                "manager_slack_id": f"UM{c - c % 8:03d}",
                "crm_owner_id": f"csm{c:03d}@retainer.example",
                "timezone": "UTC",
                "digest_mode": "realtime",
            }
        )
    alerts = 0
    with unit_of_work(engine) as session:
        session.execute(insert(SlackUser), users)
        ids = list(session.scalars(select(Account.id).order_by(Account.id)))
    for start in range(0, len(ids), 5000):
        snaps: list[dict[str, Any]] = []
        opened: list[dict[str, Any]] = []
        for account_id in ids[start : start + 5000]:
            before = rng.randint(10, 95)
            now_score = max(0, min(100, before + rng.randint(-25, 15)))
            for days, score in ((7, before), (0, now_score)):
                as_of = TODAY - timedelta(days=days)
                snaps.append(
                    {
                        "account_id": account_id,
                        "as_of": as_of,
                        "computed_at": datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=6),
                        "score": score,
                        "band": _band(score),
                        "components": {},
                        "drivers": [{"component": "usage", "change": score - before}],
                    }
                )
            if rng.random() < 0.05:
                fired = NOW - timedelta(hours=rng.randint(1, 24 * 14))
                opened.append(
                    {
                        "id": f"{account_id[:30]}-al1",
                        "fingerprint": f"{account_id}:{PLAYS[alerts % len(PLAYS)]}",
                        "play_id": PLAYS[alerts % len(PLAYS)],
                        "play_version": 1,
                        "account_id": account_id,
                        "reason": "benchmark",
                        "severity": "warning",
                        "state": rng.choice(("firing", "firing", "claimed", "snoozed")),
                        "fired_at": fired,
                        "updated_at": fired,
                        "due_at": fired + timedelta(hours=24),
                        "details": {},
                    }
                )
                alerts += 1
        with unit_of_work(engine) as session:
            session.execute(insert(HealthSnapshot), snaps)
            if opened:
                session.execute(insert(Alert), opened)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def median_ms(engine: Engine, repeat: int, fn: Callable[[Any], object]) -> float:
    times = []
    for _ in range(repeat):
        with unit_of_work(engine) as session:
            start = time.perf_counter()
            fn(session)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data already at --database-url when it has N accounts"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        engine, present = open_store(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        if not (args.reuse and present == args.accounts):
            load_portfolio(engine, generate(args.accounts, seed=args.seed), include_usage=False)
            seed_signals(engine, args.accounts, args.seed)
        load_s = time.perf_counter() - started
        with unit_of_work(engine) as session:
            alerts = session.scalar(select(func.count()).select_from(Alert))

        with unit_of_work(engine) as session:
            team_scope = resolve_scope(session, "team", "UM000", Role.MANAGER)
            team = portfolio_summary(session, team_scope, TODAY, now=NOW)
            book = portfolio_summary(session, Scope("whole book", None), TODAY, now=NOW)
            some = session.scalars(select(Account).order_by(Account.crm_id).limit(1)).one()
        assert book.totals.accounts == args.accounts and book.movers, "the store was not loaded"

        baseline = median_ms(
            engine, args.repeat, lambda s: s.scalar(select(func.count()).select_from(Account))
        )
        figures: dict[str, object] = {
            "accounts": args.accounts,
            "team accounts (UM000)": team.totals.accounts,
            "open alerts": alerts,
            "load + seed (s; ~0 when reused)": load_s,
            "baseline: SELECT count(*) (ms)": baseline,
        }
        timed = {
            "portfolio_summary team": lambda s: portfolio_summary(s, team_scope, TODAY, now=NOW),
            "portfolio_summary whole book": lambda s: portfolio_summary(s, Scope("whole book", None), TODAY),
            "find_accounts 'acme' (contains)": lambda s: find_accounts(s, "acme"),
            "find_accounts exact CRM id": lambda s: find_accounts(s, some.crm_id),
            "account_card": lambda s: account_card(s, some.id, TODAY),
        }
        for name, fn in timed.items():
            ms = median_ms(engine, args.repeat, fn)
            figures[f"{name} (ms)"] = ms
            figures[f"{name} / baseline"] = ms / baseline
        engine.dispose()

    report(f"portfolio queries ({engine.dialect.name}, median of {args.repeat})", figures)


if __name__ == "__main__":
    main()
