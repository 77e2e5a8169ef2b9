"""`retainer sandbox up`: the three local sandboxes (the contract in docs/ARCHITECTURE.md)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

import typer

app = typer.Typer(help="Local Salesforce, HubSpot and Slack sandboxes.", no_args_is_help=True)


@app.command()
def up(
    accounts: int = typer.Option(300, help="Accounts in the seeded portfolio (10 to 1,000,000)."),
    seed: int = typer.Option(42, help="Portfolio seed: the same seed gives the same portfolio."),
    state_dir: Path | None = typer.Option(None, help="Keep sandbox state here across restarts."),
    slack_bot_url: str | None = typer.Option(None, help="Where the Slack sandbox delivers signed requests."),
) -> None:
    """Start the sandboxes, print one JSON line with their addresses and credentials, serve until stopped."""
    from sandbox.running import running

    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with running(accounts=accounts, seed=seed, state_dir=state_dir, slack_bot_url=slack_bot_url) as env:
        print(json.dumps(env.info), flush=True)
        stop.wait()
