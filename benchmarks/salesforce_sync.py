"""Initial Salesforce sync of N accounts with their contacts and opportunities, against the sandbox
served by a separate process (so the sandbox has its own core and is not what we measure). Prints
records/s, CPU time and peak RSS of the syncing process, and the ratio to a bare simple-salesforce
`query_all_iter` loop over the same queries against the same sandbox, measured in the same run.

    python -m benchmarks.salesforce_sync --accounts 100000 [--database-url URL] [--state-dir DIR]
                                         [--query-latency SECONDS]

The sync fetches the next page while it writes the current one, so its cost over the bare loop is what
the store work adds beyond the time spent waiting for Salesforce. With `--query-latency 0` (default)
the sandbox answers at once: the worst case for that ratio. `--query-latency` makes every query page
wait, as a page from a real org does (network round trip plus server time).

The sandbox's org is kept in --state-dir (default: a temporary directory), so repeated runs with the
same directory skip loading the portfolio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import func, select

from benchmarks.common import peak_rss_mib, report
from connectors.salesforce.api import SalesforceApi
from connectors.salesforce.client import SalesforceConfig, connect
from connectors.salesforce.streams import build_streams, sync_salesforce
from store.db import make_engine
from store.migrate import upgrade
from store.models import Account, Contact, Deal

STREAMS = ("Account", "Contact", "Opportunity")


def start_sandbox(
    accounts: int, state_dir: Path, query_latency: float = 0.0
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.salesforce",
            "--accounts",
            str(accounts),
            "--state-dir",
            str(state_dir),
            "--no-cases",
            "--query-latency",
            str(query_latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the sandbox did not start")
    return proc, json.loads(line)["salesforce"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--state-dir", type=Path, default=None)
    parser.add_argument(
        "--query-latency",
        type=float,
        default=0.0,
        help="seconds each query page waits in the sandbox (default 0: the sandbox answers at once, so "
        "fetching is as cheap as it gets and the store's share is at its largest)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        state_dir = args.state_dir or Path(tmp) / "sf"
        started = time.perf_counter()
        proc, info = start_sandbox(args.accounts, state_dir, args.query_latency)
        load_seconds = time.perf_counter() - started
        try:
            config = SalesforceConfig(
                instance_url=info["instance_url"],
                session_id=SecretStr(info["session_id"]),
                ca_file=Path(info["ca_file"]),
                api_version=info["api_version"],
                timeout=120,
            )
            api = SalesforceApi(config)
            streams = [s for s in build_streams(api) if s.name in STREAMS]

            # baseline: the bare SDK loop over exactly the queries the streams send
            sf = connect(config)
            start, cpu = time.perf_counter(), time.process_time()
            baseline_records = 0
            for stream in streams:
                for _record in sf.query_all_iter(stream.soql(None), include_deleted=True, timeout=120):
                    baseline_records += 1
            baseline = time.perf_counter() - start
            baseline_cpu = time.process_time() - cpu

            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = make_engine(url)
            upgrade(engine)
            start, cpu = time.perf_counter(), time.process_time()
            results = sync_salesforce(engine, streams, full=True)
            elapsed = time.perf_counter() - start
            sync_cpu = time.process_time() - cpu
            synced = sum(r.records_read for r in results)
            assert all(r.status == "ok" for r in results), [r.errors[:3] for r in results]
            with engine.connect() as conn:
                stored = sum(
                    conn.execute(select(func.count()).select_from(m)).scalar_one()
                    for m in (Account, Contact, Deal)
                )
            assert synced == baseline_records == stored, (synced, baseline_records, stored)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    report(
        f"salesforce initial sync ({engine.dialect.name})",
        {
            "accounts": args.accounts,
            "sandbox latency per query page (s)": args.query_latency,
            "records (accounts+contacts+opportunities)": synced,
            "sandbox start + load (s)": load_seconds,
            "baseline query_all_iter (s)": baseline,
            "baseline records/s": baseline_records / baseline,
            "baseline CPU of this process (s)": baseline_cpu,
            "sync (s)": elapsed,
            "sync records/s": synced / elapsed,
            "sync CPU of this process (s)": sync_cpu,
            "ratio sync / baseline": elapsed / baseline,
            "peak RSS of this process (MiB)": peak_rss_mib(),
        },
    )


if __name__ == "__main__":
    main()
