"""Time `/portfolio team` end to end: a signed slash command from the Slack sandbox to the bot over HTTP,
the ack, the query, the rendering and the answer through response_url, until the ephemeral message is
in the sandbox channel. Prints ms and the ratio to a plain `SELECT count(*) FROM accounts` measured in
the same run.

    python -m benchmarks.commands --accounts 100000 [--database-url URL] [--repeat 5] [--reuse]

The store is the one `benchmarks.portfolio_query` builds (synthetic portfolio without usage rows, two
health snapshots per account, open alerts on ~5% of accounts, CSMs with managers); the Slack sandbox's
UMANAGER manages the first team of 8 CSMs. The figures are medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import func, select, update

from benchmarks.common import open_store, report
from benchmarks.portfolio_query import median_ms, seed_signals
from bot.http_server import BotHttpServer, make_router
from bot.settings import load_settings
from bot.wiring import bootstrap
from sandbox.portfolio import generate
from sandbox.slack import start_slack
from sandbox.store_loader import load_portfolio
from store.models import Account, SlackUser
from store.uow import unit_of_work

MANAGER = "UMANAGER"
CHANNEL = "CCSALERTS"


def _prepare(database_url: str, accounts: int, seed: int, reuse: bool) -> float:
    started = time.perf_counter()
    engine, present = open_store(database_url)
    if not (reuse and present == accounts):
        load_portfolio(engine, generate(accounts, seed=seed), include_usage=False)
        seed_signals(engine, accounts, seed)
        with unit_of_work(engine) as session:
            session.add(SlackUser(slack_user_id=MANAGER, role="manager", timezone="UTC"))
            session.execute(
                update(SlackUser)
                .where(SlackUser.manager_slack_id == "UM000")
                .values(manager_slack_id=MANAGER)
            )
    engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data at --database-url if it has N accounts"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        load_s = _prepare(url, args.accounts, args.seed, args.reuse)
        slack = start_slack(state_dir=Path(tmp) / "slack", csm_count=2)
        info = slack.info()
        settings = load_settings(
            database_url=url,
            slack_bot_token=info["bot_token"],
            slack_signing_secret=info["signing_secret"],
            slack_api_base_url=info["base_url"],
            manager_slack_ids=MANAGER,
        )
        container = bootstrap(settings)
        assert container.bolt is not None
        server = BotHttpServer(make_router(SlackRequestHandler(container.bolt))).start()
        slack.set_bot_url(f"{server.url}/slack/events")
        try:
            acks, answers = [], []
            for _ in range(args.repeat + 1):  # the first run warms caches and is not counted
                before = len(slack.messages(CHANNEL))
                start = time.perf_counter()
                delivery = slack.slash(MANAGER, "/portfolio", "team", channel=CHANNEL)
                acked = time.perf_counter()
                assert delivery.status == 200, delivery
                while len(slack.messages(CHANNEL)) == before:
                    if time.perf_counter() - start > 60:
                        raise SystemExit("no answer within 60 s")
                    time.sleep(0.002)
                answered = time.perf_counter()
                acks.append((acked - start) * 1000)
                answers.append((answered - start) * 1000)
            answer = slack.messages(CHANNEL)[-1]
            assert "Portfolio · team" in str(answer["blocks"]), answer["text"]
            baseline = median_ms(
                container.engine, args.repeat, lambda s: s.scalar(select(func.count()).select_from(Account))
            )
        finally:
            server.stop()
            slack.stop()
            container.engine.dispose()

    ack_ms, answer_ms = statistics.median(acks[1:]), statistics.median(answers[1:])
    report(
        f"/portfolio team end to end ({container.engine.dialect.name}, median of {args.repeat})",
        {
            "accounts": args.accounts,
            "answer text": answer["text"][:100],
            "load + seed (s; ~0 when reused)": load_s,
            "baseline: SELECT count(*) (ms)": baseline,
            "slash command acked (ms)": ack_ms,
            "answer in channel (ms)": answer_ms,
            "answer / baseline": answer_ms / baseline,
            "within Slack's 3 s": "yes" if answer_ms < 3000 else "NO",
        },
    )


if __name__ == "__main__":
    main()
