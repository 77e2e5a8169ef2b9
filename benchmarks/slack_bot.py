"""The Slack side under load, against the Slack sandbox, with the bot in its own process (`retainer run`):

1. 50 concurrent signed Claim clicks on 50 posted alerts: ack latency p50/p99 (goal p99 <= 300 ms), and
   the ratio to 50 concurrent `GET /healthz` on the same bot server in the same run (the HTTP floor).
   The sandbox signs the clicks; a separate load-generator process (`benchmarks.burst`) sends them all
   at once, so neither the sandbox nor the generator shares a process (and a GIL) with the other or
   with the bot. Then it waits until every alert is claimed and its message updated.
2. 10,000 alerts fired in one tick: messages posted, alerts covered, duplicates (goal 0) and the most
   posts any channel saw within one second (goal <= 1), with Slack's 1 message/s/channel enforced.

    python -m benchmarks.slack_bot [--alerts 10000] [--clicks 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, select

from benchmarks.burst import fire_in_subprocess, request
from benchmarks.common import report
from bot.settings import load_settings
from bot.wiring import bootstrap
from messages.actions import AlertAction, AlertVerb
from sandbox.portfolio import generate
from sandbox.slack import SlackSandbox, start_slack
from sandbox.store_loader import load_portfolio
from store import keys
from store.db import make_engine
from store.migrate import upgrade
from store.models import Alert
from store.uow import unit_of_work
from store.upsert import bulk_upsert

CSMS = 20
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fire(engine: object, accounts: int, alerts: int, tag: str) -> None:
    now = datetime.now(UTC)
    rows = []
    for i in range(alerts):
        index = i % accounts
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "fingerprint": f"{tag}:{i}",
                "play_id": "usage_decline",
                "play_version": 1,
                "account_id": keys.account_key("salesforce", f"ACC-{index:07d}"),
                "reason": "weekly active users -42% vs 4 weeks ago",
                "severity": "warning",
                "state": "firing",
                "owner_slack_id": f"UCSM{index % CSMS:03d}",
                "channel_id": f"CCSM{index % CSMS:03d}",
                "fired_at": now,
                "updated_at": now,
                "details": {"summary": "weekly active users -42% vs 4 weeks ago"},
            }
        )
    with unit_of_work(engine) as session:  # type: ignore[arg-type]
        bulk_upsert(session, Alert, rows, ("id",))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _wait_for_the_work(engine: Engine, slack: SlackSandbox, posted: Sequence[Any]) -> tuple[int, int]:
    """Poll (up to 30 s) until every clicked alert is claimed and its message edited; the counts."""
    claimed = updated = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with unit_of_work(engine) as session:
            claimed = session.query(Alert).filter(Alert.state == "claimed").count()
        edited = {
            (c, m["ts"])
            for c in {row.channel_id for row in posted}
            for m in slack.messages(c)
            if "edited" in m
        }
        updated = len({(row.channel_id, row.message_ts) for row in posted} & edited)
        if claimed == updated == len(posted):
            break
        time.sleep(0.05)
    return claimed, updated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--clicks", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="retainer-bench-"))
    db = f"sqlite:///{tmp / 'bot.db'}"
    engine = make_engine(db)
    upgrade(engine)
    accounts = max(args.clicks, 2000)
    load_portfolio(engine, generate(accounts, seed=3), include_usage=False)
    slack = start_slack(state_dir=tmp / "slack", csm_count=CSMS)
    info = slack.info()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))},
        "DATABASE_URL": db,
        "SLACK_BOT_TOKEN": info["bot_token"],
        "SLACK_SIGNING_SECRET": info["signing_secret"],
        "SLACK_API_BASE_URL": info["base_url"],
        "SLACK_HTTP_PORT": str(port),
        "MANAGER_SLACK_IDS": "UMANAGER",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),  # the bot from this checkout, whatever the virtualenv points at
    }
    run = "import sys; from bot.cli import main; sys.exit(main())"
    bot = subprocess.Popen([sys.executable, "-c", run, "run", "--host", "127.0.0.1"], env=env, cwd=tmp)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        slack.set_bot_url(f"{base}/slack/events")
        settings = load_settings(
            database_url=db,
            slack_bot_token=info["bot_token"],
            slack_signing_secret=info["signing_secret"],
            slack_api_base_url=info["base_url"],
            slack_digest_threshold=args.clicks,
        )
        container = bootstrap(settings)
        assert container.publisher is not None

        # 1. concurrent clicks
        _fire(engine, accounts, args.clicks, "clicks")
        container.publisher.publish_pending()
        with unit_of_work(engine) as session:
            posted = session.execute(
                select(Alert.id, Alert.owner_slack_id, Alert.channel_id, Alert.message_ts)
            ).all()

        health = [request("GET", f"{base}/healthz") for _ in range(args.clicks)]
        floor = fire_in_subprocess(health, tmp)["latencies_ms"]
        prepared = [
            slack.prepare_click(
                row.owner_slack_id,
                row.channel_id,
                row.message_ts,
                AlertAction(AlertVerb.CLAIM, row.id).encode(),
            )
            for row in posted
        ]
        burst = fire_in_subprocess([request("POST", d.url, d.body, d.headers) for d in prepared], tmp)
        assert burst["statuses"] == [200] * len(prepared), burst["statuses"]
        latencies = burst["latencies_ms"]
        acked_at = time.perf_counter()
        claimed, updated = _wait_for_the_work(engine, slack, posted)
        work_seconds = time.perf_counter() - acked_at

        # 2. a flood in one tick
        _fire(engine, accounts, args.alerts, "flood")
        started = time.perf_counter()
        flood = container.publisher.publish_pending()
        flood_seconds = time.perf_counter() - started
        with unit_of_work(engine) as session:
            recorded = session.scalars(
                select(Alert.message_ts).where(Alert.fingerprint.like("flood:%"))
            ).all()
        per_channel = Counter(
            (c, int(float(m["ts"])))
            for c in (f"CCSM{i:03d}" for i in range(CSMS))
            for m in slack.messages(c)
            if m["ts"] not in {row.message_ts for row in posted}
        )
        covered = sum(1 for ts in recorded if ts)
    finally:
        bot.terminate()
        bot.wait(10)
        slack.stop()
    report(
        "Slack bot: 50 concurrent signed clicks, then a 10,000-alert tick",
        {
            "clicks acked 200": len(latencies),
            "alerts claimed": claimed,
            "ack latency p50 (ms)": statistics.median(latencies),
            "ack latency p99 (ms)": _percentile(latencies, 0.99),
            "baseline /healthz p99 (ms)": _percentile(floor, 0.99),
            "ratio p99 click / healthz": _percentile(latencies, 0.99) / max(_percentile(floor, 0.99), 0.001),
            "messages updated after the clicks": updated,
            "seconds from the last ack to all claimed and updated": work_seconds,
            "alerts in the tick": args.alerts,
            "messages posted": flood.posted,
            "digests": flood.digests,
            "alerts covered by a message": covered,
            "duplicates (alerts posted twice)": flood.digested + flood.posted - flood.digests - covered,
            "max posts/s/channel (queue)": flood.max_posts_per_second(),
            "max posts/s/channel (Slack sandbox)": max(per_channel.values()),
            "seconds to post the tick": flood_seconds,
        },
    )


if __name__ == "__main__":
    main()
