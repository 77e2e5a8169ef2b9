"""`python -m sandbox.salesforce --accounts N`: serve the Salesforce sandbox alone (benchmarks, manual
poking). Prints one JSON line with the connection values once it answers, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import typer

from sandbox.portfolio import DEFAULT_SEED, generate
from sandbox.salesforce import start_salesforce


def main(
    accounts: int = typer.Option(100, help="Portfolio size (loaded only into an empty state dir)."),
    seed: int = typer.Option(DEFAULT_SEED),
    state_dir: Path = typer.Option(Path(".sandbox/salesforce"), help="Where the org is kept."),
    port: int = typer.Option(0),
    page_size: int = typer.Option(2000),
    daily_limit: int = typer.Option(100_000_000),
    cases: bool = typer.Option(True, help="Load the portfolio's tickets as Cases."),
    query_latency: float = typer.Option(
        0.0, help="Seconds every query page waits before answering (a WAN round trip plus server time)."
    ),
) -> None:
    sandbox = start_salesforce(
        generate(accounts, seed),
        state_dir=state_dir,
        port=port,
        page_size=page_size,
        daily_limit=daily_limit,
        with_cases=cases,
    )
    if query_latency > 0:
        sandbox.stall(r"/query", seconds=query_latency, count=sys.maxsize)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sys.stdout.write(json.dumps({"salesforce": sandbox.info()}) + "\n")
    sys.stdout.flush()
    stop.wait()
    sandbox.stop()


if __name__ == "__main__":
    typer.run(main)
