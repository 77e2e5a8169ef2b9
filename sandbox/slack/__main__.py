"""Run the Slack sandbox alone: ``python -m sandbox.slack --state-dir DIR [--port P] [--bot-url URL]``.

Prints the sandbox's info as one JSON line, then serves until interrupted."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import typer

from sandbox.slack import start_slack


def main(
    state_dir: Path = typer.Option(Path(".sandbox/slack"), help="where the workspace is persisted"),
    port: int = typer.Option(0, help="0 picks a free port"),
    bot_url: str = typer.Option("", help="the bot's Bolt endpoint, e.g. http://127.0.0.1:3000/slack/events"),
    csm_count: int = typer.Option(20, help="CSM users and #csm-NNN channels to seed"),
) -> None:
    sandbox = start_slack(state_dir=state_dir, port=port, bot_url=bot_url or None, csm_count=csm_count)
    print(json.dumps(sandbox.info()), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    typer.run(main)
